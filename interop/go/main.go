// Command verifier checks what fleetledger proves with code that others wrote: RFC 6962
// inclusion and consistency proofs with transparency-dev/merkle, and C2SP signed notes
// (partition checkpoints, ledger heads) with golang.org/x/mod/sumdb/note. It trusts nothing in
// its input but what the ledger's verifier key signed, so a proof fleetledger got wrong, or
// one tampered with on the way, fails here as well as in fleetledger.
//
// Usage:
//
//	verifier KIND -key NAME.pub [FILE]
//
// FILE (default, or "-": standard input) holds one of these KINDs:
//
//	inclusion    one event's inclusion proof: fleetledger prove EVENT_ID --json
//	consistency  that one ledger head extends another: fleetledger prove --consistency OLD NEW --json
//	checkpoint   a signed partition checkpoint (c2sp.org/tlog-checkpoint)
//	head         a signed ledger head
//	bundle       a task's evidence bundle: fleetledger evidence TASK
//
// NAME.pub holds the ledger's verifier key (name+keyid+base64 key, as fleetledger writes it).
// The verifier prints one line per finding, then a verdict that starts with "ok:" or
// "FAILED:". It exits 0 when everything verifies, 1 when anything does not, and 2 when it
// cannot check at all (bad arguments, an unreadable file, a key that is not a verifier key).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	maxInput   = 64 << 20 // bytes; larger than any bundle worth checking by hand
)

// A check verifies one document and returns what it proved, or the findings against it.
type check func(data []byte, key trustedKey) (proved string, findings []string)

// A kind of document: what the verdict calls it, and how it is checked.
type kind struct {
	noun  string
	check check
}

var kinds = map[string]kind{
	"inclusion":   {"inclusion proof", single(verifyInclusionProof)},
	"consistency": {"consistency proof", single(verifyConsistencyProof)},
	"checkpoint":  {"checkpoint", single(verifyCheckpointNote)},
	"head":        {"ledger head", single(verifyHeadNote)},
	"bundle":      {"evidence bundle", verifyBundle},
}

const usage = `usage: verifier KIND -key NAME.pub [FILE]
KIND: inclusion | consistency | checkpoint | head | bundle; FILE defaults to standard input`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command, with its streams passed in so tests can drive it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || kinds[args[0]].check == nil {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	keyPath := flags.String("key", "", "the ledger's verifier key file (NAME.pub)")
	if err := flags.Parse(args[1:]); err != nil || *keyPath == "" || flags.NArg() > 1 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	key, err := loadKey(*keyPath)
	if err == nil {
		var data []byte
		if data, err = readInput(flags.Arg(0), stdin); err == nil {
			return report(kinds[args[0]], data, key, stdout)
		}
	}
	fmt.Fprintln(stderr, "verifier:", err)
	return exitUsage
}

// report runs a check and prints its findings and verdict.
func report(of kind, data []byte, key trustedKey, stdout io.Writer) int {
	proved, findings := of.check(data, key)
	for _, finding := range findings {
		fmt.Fprintln(stdout, finding)
	}
	switch len(findings) {
	case 0:
		fmt.Fprintf(stdout, "ok: %s\n", proved)
		return exitOK
	case 1:
		fmt.Fprintf(stdout, "FAILED: the %s does not verify\n", of.noun)
	default:
		fmt.Fprintf(stdout, "FAILED: the %s does not verify (%d findings)\n", of.noun, len(findings))
	}
	return exitFailed
}

// single makes a check of a function that stops at the first thing that does not hold.
func single(verify func([]byte, trustedKey) (string, error)) check {
	return func(data []byte, key trustedKey) (string, []string) {
		proved, err := verify(data, key)
		if err != nil {
			return "", []string{err.Error()}
		}
		return proved, nil
	}
}

// readInput reads the named file, or standard input for "" and "-", up to maxInput bytes.
func readInput(path string, stdin io.Reader) ([]byte, error) {
	source := stdin
	if path != "" && path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		source = file
	}
	data, err := io.ReadAll(io.LimitReader(source, maxInput+1))
	if err == nil && len(data) > maxInput {
		err = errors.New("the input is larger than 64 MiB")
	}
	return data, err
}

// loadKey reads a verifier key file; surrounding whitespace (a final newline) is ignored.
func loadKey(path string) (trustedKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return trustedKey{}, err
	}
	return parseKey(strings.TrimSpace(string(data)))
}
