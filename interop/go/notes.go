package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// trustedKey is the ledger's verifier key: the only thing the verifier trusts.
type trustedKey struct {
	vkey     string
	verifier note.Verifier
}

// String names the key as signature lines do, with its id: name+keyid.
func (k trustedKey) String() string {
	return fmt.Sprintf("%s+%08x", k.verifier.Name(), k.verifier.KeyHash())
}

func parseKey(vkey string) (trustedKey, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return trustedKey{}, fmt.Errorf("not a verifier key: %w", err)
	}
	return trustedKey{vkey, verifier}, nil
}

// openNote returns the text of a signed note once the key's signature over it verifies.
func openNote(signed, what string, key trustedKey) (string, error) {
	opened, err := note.Open([]byte(signed), note.VerifierList(key.verifier))
	if err != nil {
		return "", fmt.Errorf("the %s is not signed by %s: %w", what, key, err)
	}
	return opened.Text, nil
}

// treeHead is one partition's tree at one size, as a checkpoint or a ledger head states it.
type treeHead struct {
	size uint64
	root []byte
}

func (t treeHead) String() string {
	return fmt.Sprintf("%d leaves with root %s", t.size, base64.StdEncoding.EncodeToString(t.root))
}

// partition names one partition of a ledger.
type partition struct {
	topic  string
	number uint64
}

func (p partition) String() string { return fmt.Sprintf("%s/%d", p.topic, p.number) }

// ledgerHead is a signed ledger head's text: the tree head of each partition of a namespace.
type ledgerHead struct {
	namespace string
	order     []partition
	lines     map[partition]treeHead
}

func (h ledgerHead) line(at partition) (treeHead, error) {
	line, ok := h.lines[at]
	if !ok {
		return treeHead{}, fmt.Errorf("the ledger head has no line for %s", at)
	}
	return line, nil
}

func (h ledgerHead) leaves() (total uint64) {
	for _, line := range h.lines {
		total += line.size
	}
	return total
}

const headSuffix = " ledger head"

var (
	decimal   = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	topicName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

// parseLedgerHead reads a head's text in its one valid spelling (see fleetledger's
// integrity/head.py): "<namespace> ledger head", then "<topic>/<partition> <size> <root>"
// lines sorted by topic and partition, each partition once.
func parseLedgerHead(text string) (ledgerHead, error) {
	body, ok := strings.CutSuffix(text, "\n")
	lines := strings.Split(body, "\n")
	namespace, named := strings.CutSuffix(lines[0], headSuffix)
	if !ok || !named || namespace == "" || strings.ContainsFunc(namespace, unicode.IsSpace) {
		return ledgerHead{}, fmt.Errorf("not a ledger head: it starts with %q", lines[0])
	}
	head := ledgerHead{namespace: namespace, lines: map[partition]treeHead{}}
	for _, line := range lines[1:] {
		at, tree, err := parseHeadLine(line)
		if err != nil {
			return ledgerHead{}, fmt.Errorf("not a ledger head: %w", err)
		}
		if n := len(head.order); n > 0 && !before(head.order[n-1], at) {
			return ledgerHead{}, fmt.Errorf("not a ledger head: %s is out of order or repeated", at)
		}
		head.order = append(head.order, at)
		head.lines[at] = tree
	}
	return head, nil
}

func parseHeadLine(line string) (partition, treeHead, error) {
	fields := strings.Split(line, " ")
	slash := strings.LastIndex(fields[0], "/")
	if len(fields) != 3 || slash < 0 || !topicName.MatchString(fields[0][:slash]) {
		return partition{}, treeHead{}, fmt.Errorf("a line is not <topic>/<partition> <size> <root>: %q", line)
	}
	number, err := parseCount(fields[0][slash+1:], "partition")
	if err != nil {
		return partition{}, treeHead{}, err
	}
	tree, err := parseTree(fields[1], fields[2])
	return partition{fields[0][:slash], number}, tree, err
}

// before orders partitions as a head lists them: by topic bytes, then by number.
func before(a, b partition) bool {
	return a.topic < b.topic || (a.topic == b.topic && a.number < b.number)
}

// checkpoint is a C2SP tlog-checkpoint body: origin, tree size, root, extension lines.
type checkpoint struct {
	origin string
	tree   treeHead
}

func parseCheckpoint(text string) (checkpoint, error) {
	body, ok := strings.CutSuffix(text, "\n")
	lines := strings.Split(body, "\n")
	if !ok || len(lines) < 3 || lines[0] == "" {
		return checkpoint{}, fmt.Errorf("not a checkpoint: it has no origin, size and root lines")
	}
	for _, extension := range lines[3:] {
		if extension == "" {
			return checkpoint{}, fmt.Errorf("not a checkpoint: an extension line is empty")
		}
	}
	tree, err := parseTree(lines[1], lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("not a checkpoint: %w", err)
	}
	return checkpoint{lines[0], tree}, nil
}

// parseTree reads a tree size and root; the empty tree's root is SHA-256 of nothing.
func parseTree(size, root string) (treeHead, error) {
	count, err := parseCount(size, "tree size")
	if err != nil {
		return treeHead{}, err
	}
	hash, err := base64.StdEncoding.Strict().DecodeString(root)
	if err != nil || len(hash) != rfc6962.DefaultHasher.Size() || base64.StdEncoding.EncodeToString(hash) != root {
		return treeHead{}, fmt.Errorf("the root is not the base64 of a 32-byte hash: %q", root)
	}
	if count == 0 && !bytes.Equal(hash, rfc6962.DefaultHasher.EmptyRoot()) {
		return treeHead{}, fmt.Errorf("the root of an empty tree is SHA-256 of nothing")
	}
	return treeHead{count, hash}, nil
}

// parseCount reads a decimal from 0 to 2^64-1 without sign, spaces or leading zeros.
func parseCount(text, what string) (uint64, error) {
	count, err := strconv.ParseUint(text, 10, 64)
	if err != nil || !decimal.MatchString(text) {
		return 0, fmt.Errorf("the %s is not a decimal count: %q", what, text)
	}
	return count, nil
}

// openHead opens a signed ledger head and reads its text.
func openHead(signed string, key trustedKey) (ledgerHead, error) {
	text, err := openNote(signed, "ledger head", key)
	if err != nil {
		return ledgerHead{}, err
	}
	return parseLedgerHead(text)
}

// openCheckpoint opens a signed checkpoint and reads its text.
func openCheckpoint(signed string, key trustedKey) (checkpoint, error) {
	text, err := openNote(signed, "checkpoint", key)
	if err != nil {
		return checkpoint{}, err
	}
	return parseCheckpoint(text)
}

// origin is the checkpoint origin fleetledger gives a partition: <namespace>/<topic>/<number>.
func origin(namespace string, at partition) string {
	return fmt.Sprintf("%s/%s", namespace, at)
}

// checkCheckpoint checks a signed checkpoint is of a partition of the head and states the
// head's tree for it; it returns that partition.
func checkCheckpoint(signed string, head ledgerHead, key trustedKey) (partition, error) {
	cp, err := openCheckpoint(signed, key)
	if err != nil {
		return partition{}, err
	}
	for _, at := range head.order {
		if cp.origin != origin(head.namespace, at) {
			continue
		}
		if line := head.lines[at]; !sameTree(cp.tree, line) {
			return at, fmt.Errorf("the checkpoint of %s states %s; the ledger head, %s", cp.origin, cp.tree, line)
		}
		return at, nil
	}
	return partition{}, fmt.Errorf("the checkpoint of %q is of no partition in the ledger head", cp.origin)
}

func sameTree(a, b treeHead) bool { return a.size == b.size && bytes.Equal(a.root, b.root) }

func verifyCheckpointNote(data []byte, key trustedKey) (string, error) {
	cp, err := openCheckpoint(string(data), key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("the checkpoint of %s (%s) is signed by %s", cp.origin, cp.tree, key), nil
}

func verifyHeadNote(data []byte, key trustedKey) (string, error) {
	head, err := openHead(string(data), key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("the ledger head of %s (%d leaves in %d partitions) is signed by %s",
		head.namespace, head.leaves(), len(head.order), key), nil
}
