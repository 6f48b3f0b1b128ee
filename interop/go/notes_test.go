package main

import (
	"strings"
	"testing"
)

const emptyRoot = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

func TestParseLedgerHeadReadsEachPartitionsTree(t *testing.T) {
	l := newLedger(t)
	head, err := parseLedgerHead(l.headText(map[partition]uint64{tasks: 7, tools: 2}))
	must(t, err)
	if head.namespace != namespace || len(head.order) != 2 || head.order[0] != tasks {
		t.Fatalf("read %+v", head)
	}
	if line := head.lines[tools]; line.size != 2 || b64(line.root) != b64(l.trees[tools].HashAt(2)) {
		t.Errorf("fleet.tool/1 read as %+v", line)
	}
}

func TestParseLedgerHeadRefusesEveryOtherSpelling(t *testing.T) {
	root := "fMYtddWM9CWfvfKYi27uv+y6hFAxWNrEZavk+Ek0tr0="
	for name, text := range map[string]string{
		"no final newline":          "fleet ledger head",
		"another first line":        "fleet ledger heads\n",
		"a namespace with a space":  "fl eet ledger head\n",
		"an empty namespace":        " ledger head\n",
		"lines out of order":        "fleet ledger head\nb/0 1 " + root + "\na/0 1 " + root + "\n",
		"a partition twice":         "fleet ledger head\na/0 1 " + root + "\na/0 1 " + root + "\n",
		"partitions out of order":   "fleet ledger head\na/10 1 " + root + "\na/9 1 " + root + "\n",
		"a leading zero":            "fleet ledger head\na/0 01 " + root + "\n",
		"a size beyond 64 bits":     "fleet ledger head\na/0 18446744073709551616 " + root + "\n",
		"a topic with a space":      "fleet ledger head\na b/0 1 " + root + "\n",
		"a topic with a slash":      "fleet ledger head\na/b/0 1 " + root + "\n",
		"a short root":              "fleet ledger head\na/0 1 " + root[:40] + "\n",
		"unused base64 bits set":    "fleet ledger head\na/0 1 " + root[:42] + "1=\n",
		"an empty tree with a root": "fleet ledger head\na/0 0 " + root + "\n",
		"a missing field":           "fleet ledger head\na/0 1\n",
	} {
		if _, err := parseLedgerHead(text); err == nil {
			t.Errorf("%s: %q was read as a ledger head", name, text)
		}
	}
}

func TestParseLedgerHeadReadsAnEmptyTreeAndAHeadWithoutPartitions(t *testing.T) {
	for _, text := range []string{"fleet ledger head\na/0 0 " + emptyRoot + "\n", "fleet ledger head\n"} {
		if _, err := parseLedgerHead(text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

func TestParseCheckpointReadsOriginSizeRootAndExtensions(t *testing.T) {
	cp, err := parseCheckpoint("fleet/fleet.task/0\n0\n" + emptyRoot + "\nextension\n")
	must(t, err)
	if cp.origin != "fleet/fleet.task/0" || cp.tree.size != 0 {
		t.Errorf("read %+v", cp)
	}
}

func TestParseCheckpointRefusesWhatIsNotOne(t *testing.T) {
	for name, text := range map[string]string{
		"no root line":          "fleet/fleet.task/0\n0\n",
		"an empty origin":       "\n0\n" + emptyRoot + "\n",
		"an empty extension":    "fleet/fleet.task/0\n0\n" + emptyRoot + "\n\n",
		"a negative size":       "fleet/fleet.task/0\n-1\n" + emptyRoot + "\n",
		"no final newline":      "fleet/fleet.task/0\n0\n" + emptyRoot,
		"a ledger head instead": "fleet ledger head\nfleet.task/0 0 " + emptyRoot + "\n",
	} {
		if _, err := parseCheckpoint(text); err == nil {
			t.Errorf("%s: %q was read as a checkpoint", name, text)
		}
	}
}

func TestOpenNoteReturnsTheTextTheKeySigned(t *testing.T) {
	l := newLedger(t)
	text, err := openNote(l.sign("hello\n"), "note", l.key)
	must(t, err)
	if text != "hello\n" {
		t.Errorf("opened %q", text)
	}
}

func TestOpenNoteRefusesAChangedTextAnotherKeyAndNoSignature(t *testing.T) {
	l := newLedger(t)
	signed := l.sign("hello\n")
	for name, c := range map[string]struct {
		note string
		key  trustedKey
	}{
		"a changed text": {strings.Replace(signed, "hello", "hellO", 1), l.key},
		"another key":    {signed, newKey(t)},
		"no signature":   {"hello\n\n", l.key},
	} {
		if _, err := openNote(c.note, "note", c.key); err == nil {
			t.Errorf("%s: the note opened", name)
		}
	}
}

func TestVerifyCheckpointNoteNamesTheOriginAndSize(t *testing.T) {
	l := newLedger(t)
	proved, err := verifyCheckpointNote([]byte(l.checkpoint(tasks, 5)), l.key)
	must(t, err)
	if !strings.Contains(proved, "fleet/fleet.task/0 (5 leaves with root ") {
		t.Errorf("verdict %q", proved)
	}
}

func TestVerifyHeadNoteRefusesAHeadSignedByAnotherKey(t *testing.T) {
	l := newLedger(t)
	if _, err := verifyHeadNote([]byte(l.head()), newKey(t)); err == nil {
		t.Error("a head verified with a key that did not sign it")
	}
}
