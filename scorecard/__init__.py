"""The scorecard of real servers: `python -m scorecard` installs, grades and publishes them."""
