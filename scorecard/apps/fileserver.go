// Go peer: net/http.FileServer, as ten lines of a program would write it.
package main

import (
	"net/http"
	"os"
)

func main() {
	http.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(os.Args[2]))))
	http.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/files/"+r.URL.Path[len("/redirect/"):], http.StatusFound)
	})
	panic(http.ListenAndServe("127.0.0.1:"+os.Args[1], nil))
}
