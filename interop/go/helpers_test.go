package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

const (
	namespace = "fleet"
	task      = "task-1"
)

var (
	tasks = partition{"fleet.task", 0}
	tools = partition{"fleet.tool", 1}
)

// ledger is what the tests verify: a key pair and two partitions of reference RFC 6962 trees
// (transparency-dev/merkle's testonly tree), whose leaves are small events.
type ledger struct {
	t      *testing.T
	key    trustedKey
	signer note.Signer
	trees  map[partition]*testonly.Tree
	bodies map[partition][][]byte
}

// newLedger makes a ledger with 7 events of task-1 in fleet.task and 2 of task-2 in fleet.tool.
func newLedger(t *testing.T) *ledger {
	t.Helper()
	l := &ledger{t: t, trees: map[partition]*testonly.Tree{}, bodies: map[partition][][]byte{}}
	skey, vkey, err := note.GenerateKey(rand.Reader, "test.example/fleet")
	must(t, err)
	l.signer, err = note.NewSigner(skey)
	must(t, err)
	l.key, err = parseKey(vkey)
	must(t, err)
	for i := range 7 {
		l.append(tasks, fmt.Sprintf(`{"id":"e%d","subject":%q}`, i, task))
	}
	for i := range 2 {
		l.append(tools, fmt.Sprintf(`{"id":"t%d","subject":"task-2"}`, i))
	}
	return l
}

// newKey is a verifier key of a key pair nobody signs with here.
func newKey(t *testing.T) trustedKey {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, "test.example/fleet")
	must(t, err)
	key, err := parseKey(vkey)
	must(t, err)
	return key
}

func (l *ledger) append(at partition, body string) {
	if l.trees[at] == nil {
		l.trees[at] = testonly.New(hasher)
	}
	l.trees[at].AppendData([]byte(body))
	l.bodies[at] = append(l.bodies[at], []byte(body))
}

// sign is the note of text signed with the ledger's key.
func (l *ledger) sign(text string) string {
	signed, err := note.Sign(&note.Note{Text: text}, l.signer)
	must(l.t, err)
	return string(signed)
}

// headText is the text of a ledger head with the given partitions at the given sizes.
func (l *ledger) headText(sizes map[partition]uint64) string {
	text := namespace + headSuffix + "\n"
	for _, at := range []partition{tasks, tools} {
		if size, ok := sizes[at]; ok {
			text += fmt.Sprintf("%s %d %s\n", at, size, b64(l.trees[at].HashAt(size)))
		}
	}
	return text
}

// head is the signed head of the ledger's trees at their full sizes.
func (l *ledger) head() string {
	return l.sign(l.headText(map[partition]uint64{tasks: 7, tools: 2}))
}

// checkpoint is the signed checkpoint of a partition at a size.
func (l *ledger) checkpoint(at partition, size uint64) string {
	return l.sign(fmt.Sprintf("%s\n%d\n%s\n", origin(namespace, at), size, b64(l.trees[at].HashAt(size))))
}

func (l *ledger) inclusionPath(at partition, index, size uint64) [][]byte {
	path, err := l.trees[at].InclusionProof(index, size)
	must(l.t, err)
	return path
}

func (l *ledger) consistencyPath(at partition, size1, size2 uint64) [][]byte {
	path, err := l.trees[at].ConsistencyProof(size1, size2)
	must(l.t, err)
	return path
}

// document is v as JSON, as fleetledger would write it.
func document(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	must(t, err)
	return data
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func flipped(b []byte) []byte {
	out := append([]byte(nil), b...)
	out[len(out)/2] ^= 1
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantFinding fails unless one of findings contains want.
func wantFinding(t *testing.T, findings []string, want string) {
	t.Helper()
	for _, finding := range findings {
		if strings.Contains(finding, want) {
			return
		}
	}
	t.Errorf("no finding contains %q; findings: %q", want, findings)
}
