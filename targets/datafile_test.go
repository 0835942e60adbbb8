package targets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeChip writes loihi.json renamed to name, with edit applied to its
// text, into dir and returns the path.
func writeChip(t *testing.T, dir, name string, edit func(string) string) string {
	t.Helper()
	b, err := dataFS.ReadFile("data/loihi.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"name": "loihi"`, `"name": "`+name+`"`, 1)
	if edit != nil {
		s = edit(s)
	}
	path := filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUseDataFiles(t *testing.T) {
	t.Cleanup(func() { UseDataFiles(nil) })
	dir := t.TempDir()
	half := writeChip(t, dir, "loihi-halfmem", func(s string) string {
		return strings.Replace(s, `"synapse_bits": 1048576`, `"synapse_bits": 524288`, 1)
	})
	if _, err := Lookup("loihi-halfmem"); err == nil {
		t.Fatal("loihi-halfmem known before its file is loaded")
	}
	if err := UseDataFiles([]string{half}); err != nil {
		t.Fatal(err)
	}
	tg, err := Lookup("loihi-halfmem")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Core.SynapseBits != 524288 || tg.Family != "loihi" {
		t.Fatalf("loaded chip: synapse bits %d, family %q", tg.Core.SynapseBits, tg.Family)
	}
	if ref, _ := Lookup("loihi"); !reflect.DeepEqual(tg.Backend().Capabilities(), ref.Backend().Capabilities()) {
		t.Fatal("the loaded chip's backend differs from its family's")
	}
	// Every Lookup parses afresh: callers never share a *Target.
	tg.Core.SynapseBits = 1
	if again, _ := Lookup("loihi-halfmem"); again.Core.SynapseBits != 524288 {
		t.Fatal("Lookup returned a shared target")
	}
	if names := Names(); !slices.Contains(names, "loihi-halfmem") || !slices.Contains(names, "loihi") {
		t.Fatalf("Names() = %v", names)
	}
	if slices.Contains(AllNames(), "loihi-halfmem") {
		t.Fatal("AllNames (the embedded files) lists a loaded chip")
	}

	// A second call replaces the set; a failing one loads nothing.
	other := writeChip(t, dir, "loihi-other", nil)
	if err := UseDataFiles([]string{other}); err != nil {
		t.Fatal(err)
	}
	if _, err := Lookup("loihi-halfmem"); err == nil {
		t.Fatal("loihi-halfmem still known after UseDataFiles replaced the set")
	}
	bad := writeChip(t, dir, "bad-neurons", func(s string) string {
		return strings.Replace(s, `"neurons": 1024`, `"neurons": -1`, 1)
	})
	err = UseDataFiles([]string{half, bad})
	var de *DataError
	if !errors.As(err, &de) || de.File != bad || de.Field != "core.neurons" {
		t.Fatalf("bad figure: %v", err)
	}
	if _, err := Lookup("loihi-halfmem"); err == nil {
		t.Fatal("a failing UseDataFiles loaded a file")
	}

	for _, c := range []struct{ name, want string }{
		{"loihi", "built-in target"},
		{"Loihi Big", "lower-case letters"},
	} {
		p := filepath.Join(dir, "named.json")
		b, _ := dataFS.ReadFile("data/loihi.json")
		s := strings.Replace(string(b), `"name": "loihi"`, `"name": "`+c.name+`"`, 1)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		err := UseDataFiles([]string{p})
		if !errors.As(err, &de) || de.Field != "name" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("name %q: %v", c.name, err)
		}
	}
	if err := UseDataFiles([]string{half, half}); !errors.As(err, &de) || !strings.Contains(err.Error(), "also the name") {
		t.Errorf("the same chip twice: %v", err)
	}
}
