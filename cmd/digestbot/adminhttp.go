package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The admin endpoints (/-/reload, /-/backup) are for digestbot's own
// commands on this machine, never for a browser or another user:
//
//   - the request must come from loopback, addressed to a loopback name
//     (a DNS-rebound name such as evil.example resolving to 127.0.0.1 is
//     refused);
//   - a browser's cross-site request is refused by its Origin or
//     Sec-Fetch-Site header;
//   - it must carry the header X-Digestbot-Admin with the token the bot
//     writes, readable only by its own user, beside its database. A custom
//     header cannot be sent cross-origin without a preflight, which the bot
//     never grants, and another local user cannot read the token.
//
// No admin request names a file: a backup is streamed back as the
// response body, and the command that asked writes it.
const adminHeader = "X-Digestbot-Admin"

// adminTokenPath is the token file of the bot running on the database at
// dbPath.
func adminTokenPath(dbPath string) string { return dbPath + ".admin-token" }

// readAdminToken reads the running bot's token, for the commands that ask
// it.
func readAdminToken(dbPath string) (string, error) {
	path := adminTokenPath(dbPath)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the running bot's admin token: %w (run this as the bot's user, with the bot's database setting)", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// writeAdminToken writes a new random token to path, readable by this
// user only, and returns it with a function removing the file.
func writeAdminToken(path string) (string, func(), error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := hex.EncodeToString(raw)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err == nil {
		_, err = tmp.WriteString(token + "\n")
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path) // CreateTemp made it 0600
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("write the admin token %s: %w", path, err)
	}
	return token, func() { os.Remove(path) }, nil
}

// adminRoutes registers the admin endpoints on mux behind adminOnly, and
// returns a function removing the token file when the server stops.
func (s *services) adminRoutes(mux *http.ServeMux, m *Main) (func(), error) {
	token, remove, err := writeAdminToken(adminTokenPath(s.db.Path()))
	if err != nil {
		return nil, err
	}
	mux.HandleFunc("POST /-/reload", adminOnly(token, func(w http.ResponseWriter, r *http.Request) {
		s.sup.RequestReload()
		fmt.Fprintln(w, "reload requested; see the bot's log for the outcome")
	}))
	mux.HandleFunc("POST /-/backup", adminOnly(token, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "no-store")
		wrote := false
		_, err := s.db.WriteTo(r.Context(), w, func(n int64) {
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
			wrote = true
		})
		if err != nil {
			m.logger.Error("backup over http", "error", err)
			if !wrote {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
			// Otherwise the copy is cut short of its Content-Length: the
			// client sees that and keeps nothing.
		}
	}))
	s.feedRoutes(mux, m, func(h http.HandlerFunc) http.HandlerFunc { return adminOnly(token, h) })
	return remove, nil
}

// adminOnly lets next answer only requests from digestbot's commands on
// this machine (see adminHeader).
func adminOnly(token string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if why := adminRefusal(r, token); why != "" {
			http.Error(w, why, http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

// adminRefusal says why r may not use an admin endpoint, or "".
func adminRefusal(r *http.Request, token string) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "admin requests are accepted from this machine only"
	}
	if !loopbackHost(r.Host) {
		return "admin requests must be addressed to a loopback address"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "cross-site admin requests are refused"
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host {
		return "cross-origin admin requests are refused"
	}
	got := r.Header.Get(adminHeader)
	if got == "" {
		return "admin requests need the " + adminHeader + " header: use digestbot reload or digestbot backup"
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return "wrong admin token"
	}
	return ""
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or "localhost".
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
