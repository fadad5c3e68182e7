package main

import "github.com/spa-project/spa/server"

// The daemon's real connections to the world: packet capture (or a UDP
// socket) and the configured firewall backend.
var (
	openSource   = server.OpenSource
	openFirewall = server.OpenFirewall
)
