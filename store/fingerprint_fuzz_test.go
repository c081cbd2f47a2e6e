package store

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"testing"
)

// FuzzParseFingerprint: any content of a fingerprint file is either
// refused or a fingerprint that encodes back to exactly that content.
func FuzzParseFingerprint(f *testing.F) {
	good := fingerprint{dev: 2049, ino: 131, size: 1 << 20, mtime: 1.7e18, ctime: 1.7e18 + 5, pageSize: 4096, metas: 0xfeed}.encode()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Add(append(append([]byte{}, good...), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		fp, err := parseFingerprint(b)
		if err != nil {
			return
		}
		if again := fp.encode(); !bytes.Equal(again, b) {
			t.Fatalf("parsed %x as %+v, which encodes as %x", b, fp, again)
		}
	})
}

func TestFingerprintRoundTrip(t *testing.T) {
	fp := fingerprint{dev: 1, ino: 2, size: 3, mtime: -4, ctime: 5, pageSize: 65536, metas: 7}
	got, err := parseFingerprint(fp.encode())
	if err != nil || got != fp {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, fp)
	}
	for i := range fingerprintLen {
		b := fp.encode()
		b[i] ^= 0x10
		if _, err := parseFingerprint(b); err == nil {
			t.Errorf("byte %d changed: still parsed", i)
		}
	}
}

// A fingerprint recorded after another version of the walk, checksum and
// all, is not one: the file is walked again.
func TestFingerprintOfAnotherWalk(t *testing.T) {
	b := fingerprint{dev: 1, ino: 2, size: 3, pageSize: 4096}.encode()
	b[7] = walkVersion + 1
	h := fnv.New64a()
	h.Write(b[:fingerprintLen-8])
	binary.LittleEndian.PutUint64(b[fingerprintLen-8:], h.Sum64())
	if _, err := parseFingerprint(b); err == nil {
		t.Error("a fingerprint of another walk version parsed")
	}
}
