//go:build unix

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash test's timings. The job timeout is short so that River rescues the jobs a crash left
// running within the deadline; the hook waits long enough that some are running at the kill.
const (
	crashJobTimeout  = "3s"
	crashHookWait    = time.Second
	crashSignupFor   = 3 * time.Second
	crashSignupConns = 6
	crashDeadline    = 2 * time.Minute // after the restart, for every user's post-user-registration run
	crashStopTimeout = 40 * time.Second
)

// TestCrashRecovery SIGKILLs a real `keyhook serve` during signups whose post-user-registration
// hook is still running, restarts it on the same data dir (or database), and checks that every
// stored user's hook has run within two minutes: the jobs the crash left running are rescued
// after their attempt timeout, not after River's default hour. A last start on the same data with
// another secret key must be refused.
func TestCrashRecovery(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("KEYHOOK_E2E") == "1" || os.Getenv("CI") != "" {
			t.Fatalf("go is not in PATH, so the crash test cannot build keyhook: %v", err)
		}
		t.Skipf("crash: go is not in PATH, so keyhook cannot be built: %v", err)
	}
	e2eDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildServer(t, filepath.Dir(e2eDir))

	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashDuringSignups(t, bin, "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		admin := os.Getenv("KEYHOOK_TEST_POSTGRES_URL")
		if admin == "" {
			t.Skip("crash: KEYHOOK_TEST_POSTGRES_URL is not set (see .ci/postgres.sh)")
		}
		crashDuringSignups(t, bin, freshDatabase(t, admin))
	})
}

func crashDuringSignups(t *testing.T, bin, databaseURL string) {
	reports := newHookReports()
	reportSrv := httptest.NewServer(reports)
	t.Cleanup(reportSrv.Close)

	dataDir := t.TempDir()
	httpAddr := freeAddr(t)
	node := startCrashNode(t, bin, dataDir, httpAddr, databaseURL, 1)
	api := &mgmtClient{t: t, base: node.httpURL, audience: "https://" + node.domain + "/api/v2/"}
	api.createReportHook(reportSrv.URL)

	// Concurrent signups until the kill. Requests cut off by it fail; the users they stored
	// are found through the Management API after the restart.
	var (
		killed  atomic.Bool
		signups sync.WaitGroup
		seq     atomic.Int64
		created atomic.Int64
	)
	run := randomHex(t, 4)
	client := &http.Client{Timeout: 30 * time.Second}
	for range crashSignupConns {
		signups.Add(1)
		go func() {
			defer signups.Done()
			for !killed.Load() {
				n := seq.Add(1)
				body, _ := json.Marshal(map[string]string{
					"client_id":  adminClientID,
					"connection": "Username-Password-Authentication",
					"email":      fmt.Sprintf("crash-%s-%d@example.com", run, n),
					"password":   fmt.Sprintf("Str0ng!Passw0rd-%d", n),
				})
				resp, err := client.Post(node.httpURL+"/dbconnections/signup", "application/json", bytes.NewReader(body))
				if err != nil {
					continue // the kill, or a request it cut off
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK:
					created.Add(1)
				case resp.StatusCode == http.StatusTooManyRequests:
					time.Sleep(100 * time.Millisecond)
				case !killed.Load():
					t.Errorf("signup %d: %s", n, resp.Status)
					return
				}
			}
		}()
	}

	// Kill while hooks are running: some jobs must be between their start and done reports.
	time.Sleep(crashSignupFor)
	waitUntil := time.Now().Add(30 * time.Second)
	for len(reports.inFlight()) == 0 {
		if time.Now().After(waitUntil) {
			t.Fatalf("no post-user-registration hook was running %s into the signups (%d users created, %d hooks done)",
				crashSignupFor+30*time.Second, created.Load(), reports.doneCount())
		}
		time.Sleep(20 * time.Millisecond)
	}
	node.kill(t)
	inFlight := reports.inFlight()
	killed.Store(true)
	signups.Wait()
	if t.Failed() {
		return
	}
	t.Logf("killed keyhook after %d signups answered 200, with %d hooks running (%d done)",
		created.Load(), len(inFlight), reports.doneCount())

	restarted := time.Now()
	node = startCrashNode(t, bin, dataDir, httpAddr, databaseURL, 2)
	api.base = node.httpURL
	api.token = "" // a token from before the crash would do; fetch one as a client would
	deadline := restarted.Add(crashDeadline)
	for {
		ids := api.userIDs()
		var missing []string
		for _, id := range ids {
			if !reports.isDone(strings.TrimPrefix(id, "auth0|")) {
				missing = append(missing, id)
			}
		}
		var lost []string
		for _, id := range inFlight {
			if !reports.isDone(id) {
				lost = append(lost, id)
			}
		}
		if len(missing) == 0 && len(lost) == 0 {
			if int64(len(ids)) < created.Load() {
				t.Fatalf("%d users stored, but %d signups answered 200", len(ids), created.Load())
			}
			t.Logf("every one of %d users had its post-user-registration run %s after the restart (%d ran more than once)",
				len(ids), time.Since(restarted).Round(time.Second), reports.repeated())
			node.stop(t)
			refuseAnotherKey(t, bin, dataDir, httpAddr, databaseURL)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after the restart, %d of %d users had no post-user-registration run (e.g. %v); "+
				"of the %d hooks running at the kill, %d never finished",
				crashDeadline, len(missing), len(ids), first(missing, 5), len(inFlight), len(lost))
		}
		node.checkAlive(t)
		time.Sleep(time.Second)
	}
}

// refuseAnotherKey starts keyhook on the same data with another secret key, which it must refuse
// with a message naming the key's source: on SQLite a replaced <data-dir>/secret.key, on
// PostgreSQL a second node whose KEYHOOK_SECRET_KEY differs from the first's.
func refuseAnotherKey(t *testing.T, bin, dataDir, httpAddr, databaseURL string) {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(raw)
	env := cleanEnv()
	wantSource := "KEYHOOK_SECRET_KEY"
	if databaseURL == "" {
		keyFile := filepath.Join(dataDir, "secret.key")
		if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		wantSource = keyFile
	} else {
		env = append(env, "KEYHOOK_SECRET_KEY="+key)
	}
	args := []string{"serve", "--data-dir", t.TempDir(), "--http", httpAddr, "--https", "", "--domain", httpAddr}
	if databaseURL == "" {
		args[2] = dataDir
	} else {
		args = append(args, "--database", databaseURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("keyhook with another secret key: %v, want exit status 1\n%s", err, out)
	}
	msg := string(out)
	if i := strings.LastIndex(msg, "keyhook: "); i >= 0 {
		msg = msg[i:] // the error, after the logs
	}
	if !strings.Contains(msg, "sealed with another KEYHOOK_SECRET_KEY") || !strings.Contains(msg, "comes from "+wantSource) {
		t.Fatalf("keyhook with another secret key said %q; want the mismatch and the key's source %s", msg, wantSource)
	}
}

// hookReports records what the post-user-registration hook reports: its start and its end,
// per user id (without the "auth0|" prefix, as the hook sees it).
type hookReports struct {
	mu      sync.Mutex
	started map[string]int
	done    map[string]int
}

func newHookReports() *hookReports {
	return &hookReports{started: map[string]int{}, done: map[string]int{}}
}

func (h *hookReports) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var report struct{ ID, Phase string }
	if err := json.NewDecoder(r.Body).Decode(&report); err != nil || report.ID == "" {
		http.Error(w, "bad report", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch report.Phase {
	case "start":
		h.started[report.ID]++
	case "done":
		h.done[report.ID]++
	default:
		http.Error(w, "bad phase", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// inFlight returns the users whose hook has started but not finished.
func (h *hookReports) inFlight() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id := range h.started {
		if h.done[id] == 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (h *hookReports) isDone(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done[id] > 0
}

func (h *hookReports) doneCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.done)
}

// repeated counts users whose hook finished more than once (at-least-once delivery).
func (h *hookReports) repeated() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.done {
		if c > 1 {
			n++
		}
	}
	return n
}

// crashNode is one `keyhook serve` child process of the crash test.
type crashNode struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	httpURL string
	domain  string
	logPath string
}

// startCrashNode starts keyhook on dataDir (and databaseURL, if set) over HTTP only, and waits
// for /healthz. n numbers the runs, so each keeps its own log.
func startCrashNode(t *testing.T, bin, dataDir, httpAddr, databaseURL string, n int) *crashNode {
	t.Helper()
	node := &crashNode{
		exited:  make(chan struct{}),
		httpURL: "http://" + httpAddr,
		domain:  httpAddr,
		logPath: filepath.Join(t.TempDir(), fmt.Sprintf("keyhook-%d.log", n)),
	}
	// Every signup comes from 127.0.0.1: the per-IP signup limit (50 a minute) is off.
	args := []string{"serve", "--data-dir", dataDir, "--http", httpAddr, "--https", "", "--domain", node.domain,
		"--job-timeout", crashJobTimeout, "--allow-outbound", "127.0.0.0/8", "--ip-signups", "0"}
	if databaseURL != "" {
		args = append(args, "--database", databaseURL)
	}
	logFile, err := os.Create(node.logPath)
	if err != nil {
		t.Fatal(err)
	}
	node.cmd = exec.Command(bin, args...)
	node.cmd.Env = append(cleanEnv(),
		"KEYHOOK_ADMIN_CLIENT_ID="+adminClientID,
		"KEYHOOK_ADMIN_CLIENT_SECRET="+adminClientSecret,
	)
	node.cmd.Stdout = logFile
	node.cmd.Stderr = logFile
	node.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := node.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start keyhook: %v", err)
	}
	go func() {
		node.waitErr = node.cmd.Wait()
		logFile.Close()
		close(node.exited)
	}()
	t.Cleanup(func() {
		node.stop(t)
		if t.Failed() {
			t.Logf("keyhook run %d: %s\n--- server log (last %d KiB) ---\n%s--- end of server log ---",
				n, strings.Join(args, " "), logTailBytes>>10, tail(node.logPath, logTailBytes))
		}
	})

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-node.exited:
			t.Fatalf("keyhook run %d exited before /healthz answered: %v", n, node.waitErr)
		default:
		}
		resp, err := client.Get(node.httpURL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return node
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("keyhook run %d: /healthz did not answer 200 within %s", n, startTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill is the crash: SIGKILL to the process group, no chance to stop anything.
func (c *crashNode) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL keyhook: %v", err)
	}
	<-c.exited
}

func (c *crashNode) checkAlive(t *testing.T) {
	t.Helper()
	select {
	case <-c.exited:
		t.Fatalf("keyhook exited: %v", c.waitErr)
	default:
	}
}

func (c *crashNode) stop(t *testing.T) {
	select {
	case <-c.exited:
		return
	default:
	}
	pgid := c.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("SIGTERM keyhook: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(crashStopTimeout):
		t.Errorf("keyhook did not stop within %s of SIGTERM; killing it", crashStopTimeout)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.exited
	}
}

// mgmtClient calls the Management API as the bootstrap admin client.
type mgmtClient struct {
	t        *testing.T
	base     string
	audience string
	token    string
}

func (m *mgmtClient) do(method, path string, body, out any) {
	m.t.Helper()
	if m.token == "" {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		m.call(http.MethodPost, "/oauth/token", map[string]string{
			"grant_type": "client_credentials", "client_id": adminClientID, "client_secret": adminClientSecret, "audience": m.audience,
		}, &tok, "")
		m.token = tok.AccessToken
	}
	m.call(method, path, body, out, m.token)
}

func (m *mgmtClient) call(method, path string, body, out any, token string) {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			m.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, m.base+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		m.t.Fatalf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			m.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// createReportHook enables a post-user-registration hook that reports the user's id to url
// when it starts and, crashHookWait later, when it is done.
func (m *mgmtClient) createReportHook(url string) {
	m.t.Helper()
	script := fmt.Sprintf(`module.exports = function (user, context, cb) {
  const report = (phase) => fetch(%q, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({id: user.id, phase: phase}),
  }).then((res) => { if (!res.ok) throw new Error('report ' + phase + ': ' + res.status); });
  report('start')
    .then(() => new Promise((resolve) => setTimeout(resolve, %d)))
    .then(() => report('done'))
    .then(() => cb(null, {}), (err) => cb(err));
};`, url, crashHookWait.Milliseconds())
	m.do(http.MethodPost, "/api/v2/hooks", map[string]any{
		"name": "crash-report", "script": script, "triggerId": "post-user-registration", "enabled": true,
	}, nil)
}

// userIDs lists every stored user's id.
func (m *mgmtClient) userIDs() []string {
	m.t.Helper()
	var ids []string
	for page := 0; ; page++ {
		var res struct {
			Users []struct {
				UserID string `json:"user_id"`
			} `json:"users"`
		}
		m.do(http.MethodGet, fmt.Sprintf("/api/v2/users?fields=user_id&include_totals=true&per_page=100&page=%d", page), nil, &res)
		for _, u := range res.Users {
			ids = append(ids, u.UserID)
		}
		if len(res.Users) < 100 {
			return ids
		}
	}
}

func first(s []string, n int) []string {
	return s[:min(n, len(s))]
}
