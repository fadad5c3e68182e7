// Package actions runs spad's external commands the way knockd's
// start_command, stop_command and cmd_timeout meant them, made safe: a
// command is an argv template, never a shell line.
//
// A template is a list of arguments whose first element is the absolute
// path of the program. Tokens inside an argument are replaced by typed
// values:
//
//	{ip}        the client address, IPv4 dotted or IPv6 RFC 5952 text
//	{family}    "ipv4" or "ipv6"
//	{proto}     "tcp" or "udp"
//	{port}      the port number, 1 to 65535
//	{duration}  the grant's length in whole seconds, rounded up
//	{client}    the enrolled client's name
//
// Substitution happens inside individual arguments only: a value never
// splits one argument into two or joins two into one, replaced text is not
// scanned again, and no shell ever sees the result, so a value such as
// "$(reboot)" or "; rm -rf /" is passed on as those exact bytes. A token
// may sit inside a larger argument ("--comment=spa-{client}"). Any other
// "{word}" of lower-case letters is an error when the template is checked,
// which catches typos; braces around anything else ("{ 1 }") are literal.
//
// Only {client} can hold arbitrary text. Client names may begin with '-',
// which a program could read as an option, so a template that uses
// {client} refuses such a name; write "--name={client}" or put "--" before
// it in templates anyway.
//
// Commands run with an empty environment apart from a fixed PATH and
// LANG=C, stdin from /dev/null, "/" as working directory, in their own
// process group, which is killed as a whole when the timeout passes.
// Standard output and standard error are captured together, up to
// [MaxOutput] bytes, for the caller's log.
//
// Named actions ([Action]) are commands a client may trigger by action id
// when its policy allows it (SPEC.md §7 step 8); [Run] expands and runs one.
package actions
