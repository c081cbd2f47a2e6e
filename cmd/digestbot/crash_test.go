package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/synth"
)

// The crash harness: digestbot killed with SIGKILL at random points, as by
// a power cut or the OOM killer, must always leave a database that opens
// and passes `digestbot check-db` (the store and its search index
// consistent), and a re-run must finish the work.
//
// `go test ./...` runs a short version: 20 kills of ingests of 3,000 short
// articles (60–240 words) and 10 kills during digest posts, about 40 s on
// two cores. DIGESTBOT_SOAK=1 runs the long one: 200 kills of ingests of
// 20,000 articles of synth's usual 300–1,200 words, and 100 kills during
// digest posts, some hours:
//
//	DIGESTBOT_SOAK=1 go test ./cmd/digestbot -run '^TestCrash' -v -timeout 8h
//
// DIGESTBOT_CRASH_KILLS=N (ingest kills; half as many digest kills) and
// DIGESTBOT_CRASH_ARTICLES=N size a run in between. Kill points are
// random; the seed is logged, and DIGESTBOT_CRASH_SEED=N repeats a run's
// choices (the timing of the processes still varies).

// crashPlan sizes a crash run.
type crashPlan struct {
	articles    int  // articles in the ingested corpus
	short       bool // articles of 60–240 words rather than synth's 300–1,200
	ingestKills int  // ingests killed
	digestKills int  // digest posts killed
	seed        int64
}

func planCrash(t *testing.T) crashPlan {
	p := crashPlan{articles: 3000, short: true, ingestKills: 20, digestKills: 10, seed: time.Now().UnixNano()}
	if os.Getenv("DIGESTBOT_SOAK") != "" {
		p = crashPlan{articles: 20000, ingestKills: 200, digestKills: 100, seed: p.seed}
	}
	var kills, articles int64
	for _, v := range []struct {
		name string
		to   *int64
	}{{"DIGESTBOT_CRASH_SEED", &p.seed}, {"DIGESTBOT_CRASH_KILLS", &kills}, {"DIGESTBOT_CRASH_ARTICLES", &articles}} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || (n <= 0 && v.to != &p.seed) {
				t.Fatalf("%s=%q: want a number above 0", v.name, s)
			}
			*v.to = n
		}
	}
	if kills > 0 {
		p.ingestKills, p.digestKills = int(kills), int(max(kills/2, 1))
	}
	if articles > 0 {
		p.articles = int(articles)
	}
	t.Logf("crash plan: %d articles, %d ingest kills, %d digest-post kills, seed %d (DIGESTBOT_CRASH_SEED=%d repeats it)",
		p.articles, p.ingestKills, p.digestKills, p.seed, p.seed)
	return p
}

// writeCorpus writes the plan's articles under dir as synth.WriteFiles
// does (dir/000/a000000.txt, …). Each title ends "number N", N the
// article's number, so a search for N finds it.
func writeCorpus(dir string, p crashPlan) error {
	g := synth.New(p.seed, 20000)
	if !p.short {
		_, err := g.WriteFiles(dir, p.articles)
		return err
	}
	rng := rand.New(rand.NewSource(p.seed))
	for i := range p.articles {
		sub := filepath.Join(dir, fmt.Sprintf("%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, " date %04d-%02d-%02d", 2015+rng.Intn(10), 1+rng.Intn(12), 1+rng.Intn(28))
		for range 4 + rng.Intn(5) {
			b.WriteString(" " + g.Word())
		}
		fmt.Fprintf(&b, " number %d\n\n", i)
		for words, target := 0, 60+rng.Intn(181); words < target; {
			n := 8 + rng.Intn(13)
			for w := range n {
				word := g.Word()
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			b.WriteString(". ")
			if words += n; rng.Intn(4) == 0 {
				b.WriteString("\n\n")
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("a%06d.txt", i)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildDigestbot builds the digestbot binary into dir.
func buildDigestbot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "digestbot")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// proc is a digestbot subprocess.
type proc struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when it has ended
	waitErr error         // how it ended, once done
}

// startProc starts bin with args; its output goes to the file outPath.
func startProc(t *testing.T, bin, outPath string, env []string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL unless the process has ended, waits for it, and
// reports whether the signal killed it (false: it had finished first).
func (p *proc) kill() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// wait waits for the process to end by itself, up to d.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(d):
		p.kill()
		return fmt.Errorf("still running after %s; killed", d)
	}
}

// tail returns the end of a file, for failure messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	return clipStart(string(b), n)
}

// clipStart returns the last n bytes of s.
func clipStart(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// cliEnv is the environment of digestbot subprocesses: no configuration
// from the machine running the tests.
func cliEnv(home string, extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"TMPDIR=" + os.TempDir()}, extra...)
}

// runCLI runs bin to completion and returns its output and exit status.
func runCLI(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("%s %v: %v", bin, args, err)
	return "", -1
}

// TestCrashIngest kills `digestbot ingest` of a synthetic corpus at random
// points. After each kill the database must pass check-db, which checks
// the store and the search index as the kill left them (and, now and then,
// with --catch-up, the index brought up to date too).
//
// The ingests vary so that kills land in every phase: each starts on a new
// database or goes on from what the last kill left; on a new database it
// loads the whole corpus or only its first folders (so a later one has a
// backlog of thousands of articles to add to an existing index), and
// before a later one some files may have changed (articles replaced:
// deletions in the change log). A kill then lands in reading and parsing, storing a
// batch, building the index from scratch, catching it up, or a re-run that
// skips what is stored. A last ingest runs to the end: every article
// stored and searchable.
func TestCrashIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: not in -short")
	}
	t.Parallel() // the two crash tests overlap: the digest one mostly waits
	plan := planCrash(t)
	rng := rand.New(rand.NewSource(plan.seed))
	work := t.TempDir()
	bin := buildDigestbot(t, work)
	corpusDir := filepath.Join(work, "corpus")
	start := time.Now()
	if err := writeCorpus(corpusDir, plan); err != nil {
		t.Fatal(err)
	}
	folders, err := filepath.Glob(filepath.Join(corpusDir, "*"))
	if err != nil || len(folders) == 0 {
		t.Fatalf("corpus folders: %v %v", folders, err)
	}
	t.Logf("wrote %d articles in %d folders in %s", plan.articles, len(folders), time.Since(start).Round(time.Millisecond))
	env := cliEnv(work)
	db := filepath.Join(work, "crash.db")
	reset := func() {
		for _, p := range []string{db, indexDir(db), indexDir(db) + ".new"} {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	ingest := func(outPath string, paths ...string) *proc {
		return startProc(t, bin, outPath, env, append([]string{"ingest", "--db", db}, paths...)...)
	}

	// A first full ingest tells how long one takes: kills are spread over
	// that time.
	start = time.Now()
	p := ingest(filepath.Join(work, "calibrate.out"), corpusDir)
	if err := p.wait(10 * time.Minute); err != nil {
		t.Fatalf("full ingest: %v\n%s", err, tail(filepath.Join(work, "calibrate.out"), 2000))
	}
	full := time.Since(start)
	t.Logf("a full ingest of %d articles takes %s", plan.articles, full.Round(time.Millisecond))
	checkDB(t, bin, env, db, plan.articles)
	reset()

	var (
		kills, finished, fresh, partial, edits int
		killedAt                               []time.Duration
	)
	for attempt := 0; kills < plan.ingestKills; attempt++ {
		if attempt > 3*plan.ingestKills {
			t.Fatalf("only %d kills in %d attempts: the ingests finish before the kill", kills, attempt)
		}
		// A new database gets the whole corpus or its first folders; a
		// later ingest on it, the whole corpus, maybe with some files
		// changed.
		_, err := os.Stat(db)
		isNew := err != nil
		if isNew {
			fresh++
		} else if rng.Intn(3) == 0 {
			edits += editFiles(t, corpusDir, plan.articles, 1+rng.Intn(50), rng)
		}
		paths, which := []string{corpusDir}, "the corpus"
		if isNew && len(folders) > 1 && rng.Intn(2) == 0 {
			paths = folders[:1+rng.Intn(len(folders)-1)]
			which = fmt.Sprintf("%d of %d folders", len(paths), len(folders))
			partial++
		}
		// Kills are spread over the time a load of that much takes from
		// scratch; going on from a kill, over a little more than the
		// index build (store phases are quick).
		span := full
		switch {
		case !isNew:
			span = full * 2 / 3
		case paths[0] != corpusDir:
			span = full * time.Duration(len(paths)) / time.Duration(len(folders))
		}
		delay := time.Duration(rng.Int63n(int64(span)))
		outPath := filepath.Join(work, fmt.Sprintf("ingest-%03d.out", attempt))
		p := ingest(outPath, paths...)
		time.Sleep(delay)
		killed := p.kill()
		what := fmt.Sprintf("attempt %d (seed %d): ingest of %s killed after %s", attempt, plan.seed, which, delay.Round(time.Millisecond))
		if !killed {
			what = fmt.Sprintf("attempt %d (seed %d): ingest of %s finished before the kill at %s (%v)",
				attempt, plan.seed, which, delay.Round(time.Millisecond), p.waitErr)
		}
		if !killed && p.waitErr != nil {
			t.Fatalf("%s:\n%s", what, tail(outPath, 3000))
		}
		// After a kill, the next ingest usually goes on from what this one
		// left; after a finished one, there is nothing left to do.
		again := killed && rng.Intn(4) != 0
		// check-db checks what the kill left. When the next ingest goes on
		// from here, half the time check-db also catches the index up (or
		// builds it) and checks it again, so that ingest finds an index to
		// catch up. A finished ingest of the whole corpus must have left
		// everything in place.
		args := []string{"check-db", "--db", db}
		if again && rng.Intn(2) == 0 {
			args = append(args, "--catch-up")
		}
		checkStart := time.Now()
		_, statErr := os.Stat(db)
		if killed && errors.Is(statErr, fs.ErrNotExist) {
			// Killed before it created the database (check-db refuses a
			// missing one): nothing was stored, so nothing can be damaged.
			if testing.Verbose() {
				t.Logf("%s: before the database was created", what)
			}
		} else if !killed && paths[0] == corpusDir {
			checkDB(t, bin, env, db, plan.articles)
			if testing.Verbose() {
				t.Logf("%s; check-db --catch-up (%s): all there", what, time.Since(checkStart).Round(time.Millisecond))
			}
		} else if out, code := runCLI(t, bin, env, args...); code != 0 {
			t.Fatalf("%s; then %v exited %d:\n%s\ningest output:\n%s", what, args, code, clipStart(out, 3000), tail(outPath, 3000))
		} else if testing.Verbose() {
			t.Logf("%s; check-db (%s): %s", what, time.Since(checkStart).Round(time.Millisecond), strings.Join(strings.Split(strings.TrimSpace(out), "\n"), " | "))
		}
		if killed {
			kills++
			killedAt = append(killedAt, delay)
		} else {
			finished++
		}
		if !again {
			reset()
		}
	}
	t.Logf("%d ingests killed, %d finished before the kill; %d on a new database, %d of some folders only; %d files edited; kill points %v",
		kills, finished, fresh, partial, edits, roundAll(killedAt))

	// The last ingest runs to its end and loads everything.
	outPath := filepath.Join(work, "final.out")
	p = ingest(outPath, corpusDir)
	if err := p.wait(10 * time.Minute); err != nil {
		t.Fatalf("final ingest: %v\n%s", err, tail(outPath, 3000))
	}
	checkDB(t, bin, env, db, plan.articles)
	checkSearchable(t, bin, env, db, plan, rng)
	t.Logf("crash harness (ingest): %d kills survived in %s", kills, time.Since(start).Round(time.Second))
}

// editFiles appends a sentence to n random article files of the corpus
// in dir, so a later ingest replaces their articles. It returns n.
func editFiles(t *testing.T, dir string, articles, n int, rng *rand.Rand) int {
	t.Helper()
	for range n {
		i := rng.Intn(articles)
		path := filepath.Join(dir, fmt.Sprintf("%03d", i/1000), fmt.Sprintf("a%06d.txt", i))
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fmt.Fprintf(f, "\n\nRevised %d.\n", rng.Int63())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// checkDB runs check-db --catch-up after a completed ingest and expects
// n articles stored and indexed, the index at the latest change both on
// disk and open.
func checkDB(t *testing.T, bin string, env []string, db string, n int) {
	t.Helper()
	out, code := runCLI(t, bin, env, "check-db", "--catch-up", "--db", db)
	if code != 0 {
		t.Fatalf("check-db exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		regexp.QuoteMeta(fmt.Sprintf("%s: ok, %d articles\n", db, n)),
		regexp.QuoteMeta(fmt.Sprintf("%s: ok, %d articles as of change ", indexDir(db), n)) + `\d+ \(the latest\)\n`,
		regexp.QuoteMeta(indexDir(db)+": caught up: ok as of change ") + `\d+ \(the latest\)\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Fatalf("check-db: want %s in\n%s", want, out)
		}
	}
}

// checkSearchable: every article is found by the word all their titles
// share, and a few by their own number.
func checkSearchable(t *testing.T, bin string, env []string, db string, plan crashPlan, rng *rand.Rand) {
	t.Helper()
	search := func(q string) searchResult {
		t.Helper()
		out, code := runCLI(t, bin, env, "search", "--db", db, "--json", "--limit", "5", q)
		if code != 0 {
			t.Fatalf("search %q exited %d:\n%s", q, code, out)
		}
		// Log lines on stderr may come before the JSON.
		var res searchResult
		i := strings.Index(out, "{")
		if i < 0 {
			t.Fatalf("search %q printed no JSON:\n%s", q, out)
		}
		if err := json.Unmarshal([]byte(out[i:]), &res); err != nil {
			t.Fatalf("search %q: %v\n%s", q, err, out)
		}
		return res
	}
	if res := search("number"); res.Total != plan.articles {
		t.Errorf("search number: %d articles, want all %d", res.Total, plan.articles)
	}
	for range 3 {
		i := rng.Intn(plan.articles)
		res := search(strconv.Itoa(i))
		want := fmt.Sprintf("a%06d.txt", i)
		if len(res.Results) == 0 || !strings.HasSuffix(res.Results[0].Source, want) {
			t.Errorf("search %d: want %s first, got %+v", i, want, res.Results)
		}
	}
}
