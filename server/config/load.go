package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
)

// File and directory names inside a configuration directory.
const (
	// ServerFileName is the server's settings file.
	ServerFileName = "spad.toml"
	// ClientsDirName is the directory of client files.
	ClientsDirName = "clients"
)

// ServerFile returns the path of spad.toml in the configuration directory
// dir.
func ServerFile(dir string) string { return filepath.Join(dir, ServerFileName) }

// ClientsDir returns the path of the client directory in dir.
func ClientsDir(dir string) string { return filepath.Join(dir, ClientsDirName) }

// ClientFile returns the path of the file of client name in dir.
func ClientFile(dir, name string) string {
	return filepath.Join(ClientsDir(dir), name+ClientFileExt)
}

// Config is a whole configuration directory, as read by [Load].
type Config struct {
	// Dir is the configuration directory.
	Dir string
	// Server is the content of spad.toml.
	Server Server
	// ServerID is the identity derived from Server.Name.
	ServerID keys.ServerID
	// Clients are all enrolled clients, sorted by name, including revoked
	// and expired ones (see [Client.Active]).
	Clients []Client
}

// Client returns the client called name.
func (c *Config) Client(name string) (*Client, bool) {
	i := sort.Search(len(c.Clients), func(i int) bool { return c.Clients[i].Name >= name })
	if i < len(c.Clients) && c.Clients[i].Name == name {
		return &c.Clients[i], true
	}
	return nil, false
}

// Load reads and checks the configuration directory dir: dir/spad.toml and
// every dir/clients/*.toml. Client files are read with keys.ReadSecretFile,
// so a client file that its group or others may access is a problem. Besides
// the checks of each file, no two clients may have the same name or key.
//
// If anything is wrong, Load returns nil and an error of type [Problems]
// listing every problem found. A missing spad.toml is a problem whose error
// wraps fs.ErrNotExist.
func Load(dir string) (*Config, error) {
	var probs Problems
	file := ServerFile(dir)
	data, err := os.ReadFile(file)
	var srv Server
	if err != nil {
		probs = append(probs, fileProblem(file, err, fmt.Sprintf(`run "spad init --dir %s" to create it`, dir)))
	} else {
		var p Problems
		srv, p = parseServer(file, data)
		probs = append(probs, p...)
	}
	clients, p := loadClients(dir)
	probs = append(probs, p...)
	if err == nil {
		probs = append(probs, checkClientActions(dir, &srv, clients)...)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	id, err := keys.NewServerID(srv.Name)
	if err != nil { // checked by parseServer
		return nil, Problems{{File: file, Key: "name", Msg: "bad server name", Err: err}}
	}
	return &Config{Dir: dir, Server: srv, ServerID: id, Clients: clients}, nil
}

// checkClientActions reports client files naming actions that spad.toml
// does not define.
func checkClientActions(dir string, srv *Server, clients []Client) Problems {
	var probs Problems
	for _, cl := range clients {
		for _, name := range cl.Actions {
			if _, ok := srv.Action(name); ok {
				continue
			}
			file, line := ClientFile(dir, cl.Name), 0
			if data, err := keys.ReadSecretFile(file); err == nil {
				line = tomlfile.NewChecker(file, data, "key").Line("actions")
				clear(data)
			}
			probs = append(probs, Problem{File: file, Line: line, Key: "actions",
				Msg: fmt.Sprintf("action %q is not defined in %s (add an [[action]] table there)", name, ServerFile(dir))})
		}
	}
	return probs
}

// ListClients reads and checks the client files of the configuration
// directory dir, like [Load] but without spad.toml. It returns the clients
// that are correct, sorted by name, and an error of type [Problems] for those
// that are not. A missing client directory holds no clients.
func ListClients(dir string) ([]Client, error) {
	clients, probs := loadClients(dir)
	return clients, probs.Err()
}

// loadClients reads every client file of dir.
func loadClients(dir string) ([]Client, Problems) {
	cdir := ClientsDir(dir)
	entries, err := os.ReadDir(cdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, Problems{fileProblem(cdir, err, "")}
	}
	var (
		probs   Problems
		clients []Client
		files   = map[string]string{}   // client name → file
		byKey   = map[[32]byte]string{} // SHA-256 of key → client name
	)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ClientFileExt) {
			continue // editor backups, temporary files
		}
		file := filepath.Join(cdir, e.Name())
		data, err := keys.ReadSecretFile(file)
		if err != nil {
			probs = append(probs, fileProblem(file, err, ""))
			continue
		}
		cl, p := parseClient(file, data)
		lines := tomlfile.NewChecker(file, data, "key") // for the lines of name and key
		clear(data)
		if len(p) > 0 {
			probs = append(probs, p...)
			continue
		}
		if other, dup := files[cl.Name]; dup {
			probs = append(probs, Problem{File: file, Line: lines.Line("name"), Key: "name",
				Msg: fmt.Sprintf("client %q is also in %s", cl.Name, other)})
			continue
		}
		kb := cl.Key.Bytes()
		fp := sha256.Sum256(kb[:])
		clear(kb[:])
		if other, dup := byKey[fp]; dup {
			probs = append(probs, Problem{File: file, Line: lines.Line("key"), Key: "key",
				Msg: fmt.Sprintf("same key as client %q (%s): every client needs its own key", other, files[other])})
			continue
		}
		files[cl.Name], byKey[fp] = file, cl.Name
		clients = append(clients, cl)
	}
	sort.Slice(clients, func(i, j int) bool { return clients[i].Name < clients[j].Name })
	return clients, probs
}

// fileProblem turns an error reading file into a problem, with an optional
// hint for a missing file. It avoids repeating the path that the error
// already names.
func fileProblem(file string, err error, hintIfMissing string) Problem {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	} else {
		msg = strings.TrimPrefix(msg, "keys: ")
		msg = strings.TrimPrefix(msg, file+" ")
	}
	if hintIfMissing != "" && errors.Is(err, fs.ErrNotExist) {
		msg += "; " + hintIfMissing
	}
	return Problem{File: file, Msg: msg, Err: err}
}
