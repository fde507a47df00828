package scripts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// checkout makes a folder holding a copy of this checkout's scripts, as a
// clone would, inside a parent folder of the given mode (0700 is root's home
// or a mktemp -d folder, which the postgres user cannot enter).
func checkout(t *testing.T, parentMode os.FileMode) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "ecrm-clone-parent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, parentMode); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "ecrm")
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"with-postgres", "apt-install"} {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "scripts", name), body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

// sharedHome makes the folder that stands for /var/lib/postgresql: one the
// postgres user can enter.
func sharedHome(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ecrm-shared-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func portOpen(port int) bool {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil {
		c.Close()
	}
	return err == nil
}

type run struct {
	stdout, stderr string
	exitCode       int
}

// withPostgres runs dir's scripts/with-postgres with args. No shared server
// is found (the probe port is a closed one) and DATABASE_URL is unset, so
// the script takes the private-cluster path.
func withPostgres(t *testing.T, dir string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "scripts", "with-postgres"), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); name == "DATABASE_URL" || strings.HasPrefix(name, "ECRM_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "ECRM_PG_PROBE_PORT="+strconv.Itoa(freePort(t)), "ECRM_DB_NAME=postgres")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.exitCode = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantDataDir is where the script must keep a private cluster's data: in the
// checkout when the cluster's user can enter it, else in the shared home
// under a name made of the checkout's path.
func wantDataDir(dir, shared string, reachable bool) string {
	if os.Geteuid() != 0 || reachable {
		return filepath.Join(dir, ".pgdata", "data")
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(shared, "ecrm-"+hex.EncodeToString(sum[:])[:12], "data")
}

func TestDataFolderChoice(t *testing.T) {
	shared := sharedHome(t)
	for _, tc := range []struct {
		name       string
		parentMode os.FileMode
		reachable  bool
	}{
		{"CheckoutTheClusterUserCanEnter", 0o755, true},
		{"CheckoutInAFolderOfMode700", 0o700, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := checkout(t, tc.parentMode)
			r := withPostgres(t, dir, []string{"ECRM_PG_SHARED_HOME=" + shared}, "--print-data-dir")
			want := wantDataDir(dir, shared, tc.reachable)
			if r.exitCode != 0 || r.stdout != want+"\n" {
				t.Fatalf("--print-data-dir = %q (exit %d, stderr %q), want %q", r.stdout, r.exitCode, r.stderr, want+"\n")
			}
		})
	}
	t.Run("ECRM_PG_HOME", func(t *testing.T) {
		dir := checkout(t, 0o700)
		r := withPostgres(t, dir, []string{"ECRM_PG_HOME=/srv/pg"}, "--print-data-dir")
		if r.stdout != "/srv/pg/data\n" {
			t.Fatalf("--print-data-dir = %q, want /srv/pg/data", r.stdout)
		}
	})
	t.Run("DefaultSharedHome", func(t *testing.T) {
		dir := checkout(t, 0o700)
		r := withPostgres(t, dir, nil, "--print-data-dir")
		if want := wantDataDir(dir, "/var/lib/postgresql", false); r.stdout != want+"\n" {
			t.Fatalf("--print-data-dir = %q, want %q", r.stdout, want)
		}
	})
}

// TestPrivateClusterInAFolderOfMode700 starts, reuses and restarts a real
// private cluster for a checkout in a folder of mode 700, as `make run`
// does for a clone under /root.
func TestPrivateClusterInAFolderOfMode700(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not found: the PostgreSQL client comes with the postgresql package")
	}
	shared := sharedHome(t)
	dir := checkout(t, 0o700)
	port := freePort(t)
	env := []string{"ECRM_PG_SHARED_HOME=" + shared, "ECRM_PG_PRIVATE_PORT=" + strconv.Itoa(port)}
	dataDir := wantDataDir(dir, shared, false)
	sql := func(query string) []string {
		return []string{"bash", "-c", psql + ` "$DATABASE_URL" -XAtq -c "$0"`, query}
	}

	first := withPostgres(t, dir, env, sql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42); SHOW data_directory")...)
	if first.exitCode != 0 || first.stdout != dataDir+"\n" {
		t.Fatalf("first run: stdout %q exit %d, want %q; stderr:\n%s", first.stdout, first.exitCode, dataDir, first.stderr)
	}
	if !strings.Contains(first.stderr, "creating a private PostgreSQL cluster in "+dataDir) {
		t.Errorf("first run did not say it creates the cluster:\n%s", first.stderr)
	}
	if portOpen(port) {
		t.Fatalf("the cluster still listens on %d after the command ended", port)
	}
	if os.Geteuid() == 0 {
		if _, err := os.Stat(filepath.Join(dir, ".pgdata")); !os.IsNotExist(err) {
			t.Errorf(".pgdata was made in a checkout the postgres user cannot enter (stat: %v)", err)
		}
		if got, _ := os.ReadFile(filepath.Join(filepath.Dir(dataDir), "checkout")); string(got) != dir+"\n" {
			t.Errorf("the shared folder's checkout file says %q, want %q", got, dir)
		}
	}

	t.Run("SecondRunReusesTheData", func(t *testing.T) {
		r := withPostgres(t, dir, env, sql("SELECT n FROM kept")...)
		if r.exitCode != 0 || r.stdout != "42\n" {
			t.Fatalf("stdout %q exit %d, want 42; stderr:\n%s", r.stdout, r.exitCode, r.stderr)
		}
		if strings.Contains(r.stderr, "creating") {
			t.Errorf("second run made a new cluster:\n%s", r.stderr)
		}
	})

	t.Run("StalePidFileAfterKill9", func(t *testing.T) {
		// The server is killed with -9, leaving postmaster.pid behind; then
		// its pid is taken by another program, as after a reboot.
		r := withPostgres(t, dir, env, "bash", "-c", `kill -9 "$(head -1 "$0/postmaster.pid")"; sleep 0.5`, dataDir)
		if r.exitCode != 0 {
			t.Fatalf("exit %d; stderr:\n%s", r.exitCode, r.stderr)
		}
		sleeper := exec.Command("sleep", "60")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		defer sleeper.Process.Kill()
		pidFile := filepath.Join(dataDir, "postmaster.pid")
		body, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatalf("kill -9 left no postmaster.pid: %v", err)
		}
		lines := strings.SplitN(string(body), "\n", 2)
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"+lines[1]), 0o600); err != nil {
			t.Fatal(err)
		}

		r = withPostgres(t, dir, env, sql("SELECT n FROM kept")...)
		if r.exitCode != 0 || r.stdout != "42\n" {
			t.Fatalf("stdout %q exit %d, want 42; stderr:\n%s", r.stdout, r.exitCode, r.stderr)
		}
		if want := fmt.Sprintf("removing the stale %s (process %d is not its server)", pidFile, sleeper.Process.Pid); !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	})

	t.Run("PortTakenByAnotherProgram", func(t *testing.T) {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		marker := filepath.Join(t.TempDir(), "ran")
		r := withPostgres(t, dir, env, "touch", marker)
		want := fmt.Sprintf("with-postgres: port %d (the private PostgreSQL cluster's) is taken by another program", port)
		if r.exitCode != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "set ECRM_PG_PRIVATE_PORT to a free port") || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("exit %d, stderr %q; want exit 1 and one line starting %q naming ECRM_PG_PRIVATE_PORT", r.exitCode, r.stderr, want)
		}
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Errorf("the command ran although no database was started")
		}
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
			t.Errorf("a server was started and left running (postmaster.pid: %v)", err)
		}
	})
}

func TestDataFolderOfAnotherMajorVersion(t *testing.T) {
	home := sharedHome(t)
	dataDir := filepath.Join(home, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "PG_VERSION"), []byte("9.6\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := checkout(t, 0o755)
	marker := filepath.Join(t.TempDir(), "ran")
	r := withPostgres(t, dir, []string{"ECRM_PG_HOME=" + home, "ECRM_PG_PRIVATE_PORT=" + strconv.Itoa(freePort(t))}, "touch", marker)
	want := "with-postgres: " + dataDir + " was made by PostgreSQL 9.6, but only PostgreSQL "
	if r.exitCode != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "install postgresql-9.6") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line starting %q", r.exitCode, r.stderr, want)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the command ran")
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "PG_VERSION" {
		t.Errorf("the data folder was changed: %v %v", entries, err)
	}
}
