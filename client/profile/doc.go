// Package profile holds the spa client's profiles: what the client needs to
// send packets to one server (its address and port, the server's name and
// identity, the client's secret and the ports to open).
//
// A profile is a TOML file ([Profile.Marshal], [Parse]) or a one-line token
// for CI secrets ([Profile.EncodeToken], [ParseToken]). Both hold the
// client's secret: files are written with mode 0600 and read with
// keys.ReadSecretFile, which refuses a file that others may read. No error
// and no String output ever contains the secret or a token.
//
// A [Store] keeps imported profiles in a directory, by default
// $XDG_CONFIG_HOME/spa/profiles ([DefaultDir]); [Store.Resolve] picks the
// profile to use from the --profile flag, the SPA_PROFILE variable or the
// store.
package profile
