"""Berth's client side: the `berth` command, its client core and the local server. Never
shipped to Lambda; it may import chalicelib (the local server runs the app), chalicelib never
imports it. The packages are listed in the README's Layout section."""
