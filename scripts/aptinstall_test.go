package scripts

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestAptInstallWaitsForTheLockAndSaysWho holds apt's lists lock the way apt
// does (a POSIX fcntl lock) and checks that apt-install names the holder and
// waits for it, giving up after ECRM_APT_LOCK_TIMEOUT. It never reaches
// apt-get itself, so it needs no network and installs nothing.
func TestAptInstallWaitsForTheLockAndSaysWho(t *testing.T) {
	cmd := exec.Command("./apt-install", "chromium")
	cmd.Env = append(os.Environ(), "ECRM_APT_LOCK_TIMEOUT=1")
	if os.Geteuid() != 0 {
		out, err := cmd.CombinedOutput()
		want := "apt-install: installing needs root: sudo apt-get install -y chromium\n"
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || string(out) != want {
			t.Fatalf("as a user: %q (%v), want %q and exit 1", out, err, want)
		}
		return
	}
	lock, err := os.OpenFile("/var/lib/apt/lists/lock", os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	flock := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(lock.Fd(), syscall.F_SETLK, &flock); err != nil {
		t.Fatalf("apt's lock is held by someone else right now: %v", err)
	}
	defer func() {
		flock.Type = syscall.F_UNLCK
		syscall.FcntlFlock(lock.Fd(), syscall.F_SETLK, &flock)
	}()

	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit status 1; output:\n%s", err, out)
	}
	holder := strconv.Itoa(os.Getpid()) + " (" + comm(t) + ")"
	want := "apt-install: installing chromium from Debian's packages\n" +
		"apt-install: waiting for the package lock held by process " + holder + " (up to 1s)\n" +
		"apt-install: gave up after 1s: process " + holder + " still holds the package lock (ECRM_APT_LOCK_TIMEOUT sets how long to wait)\n"
	if string(out) != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out, want)
	}
}

func comm(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
