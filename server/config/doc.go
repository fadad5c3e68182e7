// Package config reads and writes the configuration of spad, the spa daemon.
//
// A configuration directory (by default /etc/spa) holds:
//
//	spad.toml         the server's settings (type [Server]); mode 0644 is fine
//	clients/NAME.toml one file per enrolled client (type [Client]), mode 0600:
//	                  it holds the client-server key K_cs of SPEC.md §3
//
// [Load] reads the whole directory strictly: unknown keys, values of the wrong
// type and values that make no sense are all errors, and it reports every
// problem it finds, not just the first, as [Problems]. Each [Problem] names the
// file, the line and the key, in the form
//
//	/etc/spa/spad.toml:7: protect: port "tcp/99999": port number must be 1 to 65535
//
// No error ever contains a key or any other secret.
//
// [InitDir], [WriteClient] and [RevokeClient] write the files; whatever they
// write, [Load] reads back unchanged.
package config
