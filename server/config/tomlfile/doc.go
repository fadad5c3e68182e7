// Package tomlfile reads TOML files strictly and reports every problem with
// its file, line and key, for the configuration formats of spa (package
// server/config) and its client profiles (package client/profile).
//
// Decoding uses go-toml v2 in strict mode into structs whose leaves are of
// type any; line numbers of keys and array elements come from go-toml's
// unstable parser. A [Checker] then converts each value, so that one file can
// report an unknown key, two values of the wrong type and a bad port all at
// once, as [Problems]:
//
//	/etc/spa/spad.toml:7: protect: port "tcp/99999": port number must be 1 to 65535
//
// No message ever contains an encoded secret (see [Redact]).
//
// The package is shared by the server and the client packages; it holds no
// policy of its own beyond the syntax of names, hosts and values.
package tomlfile
