package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyFile writes a verifier key file as fleetledger does (NAME.pub: the key and a newline).
func keyFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.pub")
	must(t, os.WriteFile(path, []byte(content+"\n"), 0o600))
	return path
}

// invoke runs the command with stdin and returns its exit code, output and errors.
func invoke(args []string, stdin string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunPrintsOkAndExitsZeroWhenTheInputVerifies(t *testing.T) {
	l := newLedger(t)
	code, stdout, _ := invoke([]string{"head", "-key", keyFile(t, l.key.vkey)}, l.head())
	if code != exitOK || !strings.HasPrefix(stdout, "ok: the ledger head of fleet (9 leaves in 2 partitions)") {
		t.Errorf("exit %d, output %q", code, stdout)
	}
}

func TestRunReadsTheInputFromAFile(t *testing.T) {
	l := newLedger(t)
	path := filepath.Join(t.TempDir(), "bundle.json")
	must(t, os.WriteFile(path, document(t, bundleOf(l)), 0o600))
	if code, stdout, _ := invoke([]string{"bundle", "-key", keyFile(t, l.key.vkey), path}, ""); code != exitOK {
		t.Errorf("exit %d, output %q", code, stdout)
	}
}

func TestRunPrintsTheFindingsAndExitsOneWhenTheInputDoesNotVerify(t *testing.T) {
	l := newLedger(t)
	code, stdout, _ := invoke([]string{"checkpoint", "-key", keyFile(t, newKey(t).vkey), "-"}, l.checkpoint(tasks, 7))
	if code != exitFailed || !strings.Contains(stdout, "no verifiable signatures\nFAILED: the checkpoint does not verify\n") {
		t.Errorf("exit %d, output %q", code, stdout)
	}
}

func TestRunExitsTwoWhenItCannotCheck(t *testing.T) {
	l := newLedger(t)
	key := keyFile(t, l.key.vkey)
	for name, args := range map[string][]string{
		"no arguments":          {},
		"an unknown kind":       {"receipt", "-key", key},
		"no key":                {"head"},
		"two inputs":            {"head", "-key", key, "a", "b"},
		"a missing key file":    {"head", "-key", key + ".missing"},
		"a key that is not one": {"head", "-key", keyFile(t, "PRIVATE+KEY+x")},
		"a missing input file":  {"head", "-key", key, key + ".missing"},
	} {
		if code, _, stderr := invoke(args, l.head()); code != exitUsage || stderr == "" {
			t.Errorf("%s: exit %d, errors %q", name, code, stderr)
		}
	}
}
