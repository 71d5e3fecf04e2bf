
(function(){
"use strict";
var form=document.getElementById("filters");
var rows=[].slice.call(document.querySelectorAll("details.case"));
var groups=[].slice.call(document.querySelectorAll("section.group"));
var boxes=[].slice.call(form.querySelectorAll("input[name=outcome]"));
var group=form.elements.group, section=form.elements.section;
var shown=document.getElementById("shown"),all=document.getElementById("showall");
function check(list){boxes.forEach(function(b){b.checked=!list||list.indexOf(b.value)>=0;});}
function readHash(){
  var h=location.hash.slice(1);
  if(!h||h.indexOf("=")<0){return false;}
  var p=new URLSearchParams(h),want=p.get("outcome");check(want===null?null:want.split(","));
  group.value=p.get("group")||"";section.value=p.get("section")||"";
  return true;
}
function apply(){
  var on={},n=0;boxes.forEach(function(b){on[b.value]=b.checked;});
  rows.forEach(function(r){
    var ok=on[r.dataset.outcome]&&(!group.value||r.dataset.group===group.value)&&
      (!section.value||r.dataset.section===section.value);
    r.hidden=!ok;if(ok){n++;}
  });
  groups.forEach(function(g){g.hidden=!g.querySelector("details.case:not([hidden])");});
  shown.textContent=n+" of "+rows.length+" cases shown";all.hidden=n===rows.length;
}
function writeHash(){
  var p=new URLSearchParams();
  var on=boxes.filter(function(b){return b.checked;});
  p.set("outcome",on.map(function(b){return b.value;}).join(","));
  if(group.value){p.set("group",group.value);}if(section.value){p.set("section",section.value);}
  history.replaceState(null,"","#"+p.toString().replace(/%2C/g,","));
}
function showAll(){check(null);group.value=section.value="";apply();}
all.addEventListener("click",function(){showAll();writeHash();});
form.addEventListener("change",function(){writeHash();apply();});
form.addEventListener("submit",function(e){e.preventDefault();});
document.getElementById("expand").addEventListener("click",function(){
  rows.forEach(function(r){if(!r.hidden){r.open=true;}});});
document.getElementById("collapse").addEventListener("click",function(){
  rows.forEach(function(r){r.open=false;});});
function openAnchor(){
  var h=decodeURIComponent(location.hash.slice(1)),el=h&&document.getElementById(h);
  if(el&&el.tagName==="DETAILS"){el.open=true;if(el.hidden){showAll();el.scrollIntoView();}}
}
window.addEventListener("hashchange",function(){if(readHash()){apply();}else{openAnchor();}});
[].slice.call(document.querySelectorAll("pre.curl")).forEach(function(pre){
  var b=document.createElement("button");b.type="button";b.textContent="Copy";
  b.setAttribute("aria-label","Copy the curl command");
  b.addEventListener("click",function(){
    var done=function(){b.textContent="Copied";setTimeout(function(){b.textContent="Copy";},1500);};
    var fallback=function(){var s=getSelection(),r=document.createRange();r.selectNodeContents(pre);
      s.removeAllRanges();s.addRange(r);b.textContent="Press Ctrl+C";};
    if(navigator.clipboard){navigator.clipboard.writeText(pre.textContent).then(done,fallback);}
    else{fallback();}
  });
  pre.parentNode.insertBefore(b,pre);
});
form.hidden=false;document.getElementById("nojs").hidden=true;
var start=form.dataset.start;
if(readHash()){apply();}else{check(start?start.split(","):null);apply();openAnchor();}
})();
