package keys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// errMoreThanOneKey is the error for a second key line in a key file.
var errMoreThanOneKey = errors.New("more than one key")

// WriteClientSecretFile creates the client secret file path (see
// [WriteSecretFile]: mode 0600, never overwritten) holding k. The file starts
// with a "# created: <time>" comment line (RFC 3339, UTC), then one comment line
// "# <comment>" for each line of each comment, then the encoded secret. It
// refuses the zero ClientSecret.
func WriteClientSecretFile(path string, k ClientSecret, comments ...string) error {
	if k.IsZero() {
		return errors.New("keys: refusing to write the zero client secret")
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# created: %s\n", time.Now().UTC().Format(time.RFC3339))
	for _, c := range comments {
		for _, line := range strings.Split(c, "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" {
				buf.WriteString("#\n")
			} else {
				buf.WriteString("# " + line + "\n")
			}
		}
	}
	buf.WriteString(k.Encode())
	buf.WriteString("\n")
	data := buf.Bytes()
	defer clear(data)
	return WriteSecretFile(path, data)
}

// ReadClientSecretFile reads the client secret file path (see [ReadSecretFile]
// for the file checks). The file must hold exactly one client secret line;
// comment ('#') and blank lines are ignored. Errors name the file and, where
// there is one, the line, never the line's content.
func ReadClientSecretFile(path string) (ClientSecret, error) {
	data, err := ReadSecretFile(path)
	if err != nil {
		return ClientSecret{}, err
	}
	defer clear(data)
	return scanClientSecret(bytes.NewReader(data), path, true)
}

// ReadClientSecret reads a client secret from r, for example standard input:
// the first line that is neither blank nor a comment ('#') must be the encoded
// secret. It reads no further than that line (apart from buffering). Errors
// give the line number, never the line's content.
func ReadClientSecret(r io.Reader) (ClientSecret, error) {
	return scanClientSecret(r, "", false)
}

// scanClientSecret reads key-file lines from r. name is the file name for
// errors, "" for unnamed input. If whole, it reads to the end and refuses a
// second key line; otherwise it stops at the first key line.
func scanClientSecret(r io.Reader, name string, whole bool) (ClientSecret, error) {
	at := func(line int) string {
		if name == "" {
			return fmt.Sprintf("input line %d", line)
		}
		return fmt.Sprintf("%s:%d", name, line)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, MaxSecretFileSize+1)
	var (
		key     ClientSecret
		keyLine int
		n       int
	)
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff")) // UTF-8 byte order mark
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if keyLine != 0 {
			return ClientSecret{}, fmt.Errorf("keys: %s: %w", at(n), errMoreThanOneKey)
		}
		k, err := parseClientSecret(string(line))
		if err != nil {
			return ClientSecret{}, fmt.Errorf("keys: %s: %w", at(n), err)
		}
		key, keyLine = k, n
		if !whole {
			return key, nil
		}
	}
	if err := sc.Err(); err != nil {
		return ClientSecret{}, fmt.Errorf("keys: %s: %w", at(n+1), err)
	}
	if keyLine == 0 {
		if name == "" {
			return ClientSecret{}, errors.New("keys: no client secret found in input")
		}
		return ClientSecret{}, fmt.Errorf("keys: %s: no client secret found", name)
	}
	return key, nil
}
