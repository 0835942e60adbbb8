package targets

import (
	"fmt"
	"os"
	"sort"
	"sync"
)

// Chips from data files outside the binary. A new chip of a family that
// has a backend is a data file and nothing else: UseDataFiles checks each
// as Parse checks the embedded ones and makes them known to Lookup and
// Names (snnc's --chip flag), so that compile, simulate, energy and plan
// treat them as they treat loihi or truenorth.

// loaded holds the data files given to UseDataFiles, by target name.
var loaded struct {
	sync.RWMutex
	files map[string]loadedFile
}

// loadedFile is one data file given to UseDataFiles: its path (for
// errors) and its bytes, parsed again on every Lookup as the embedded
// files are, so that callers never share a *Target.
type loadedFile struct {
	path string
	data []byte
}

// UseDataFiles makes the chips of the data files at paths the loaded ones,
// replacing any loaded before (nil unloads them all). Each file is read and
// checked as Parse checks the embedded ones; its target's name must be
// new (not a built-in target, nor another file's) and made of lower-case
// letters, digits, '-', '_' and '.'. On an error (a *DataError naming the
// file and the field, or the error of reading it) no file is loaded.
func UseDataFiles(paths []string) error {
	files := map[string]loadedFile{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("targets: %w", err)
		}
		t, err := Parse(path, b)
		if err != nil {
			return err
		}
		bad := func(format string, a ...any) error {
			return &DataError{File: path, Field: "name", Problem: fmt.Sprintf(format, a...)}
		}
		if !validTargetName(t.Name) {
			return bad("%q: use lower-case letters, digits, '-', '_' and '.' (it names output files)", t.Name)
		}
		if _, err := dataFS.ReadFile("data/" + t.Name + ".json"); err == nil {
			return bad("%q is a built-in target; give the chip a name of its own", t.Name)
		}
		if prev, ok := files[t.Name]; ok {
			return bad("%q is also the name of the chip in %s", t.Name, prev.path)
		}
		files[t.Name] = loadedFile{path: path, data: b}
	}
	loaded.Lock()
	loaded.files = files
	loaded.Unlock()
	return nil
}

// validTargetName reports whether name can name a target (and an output
// file such as model.NAME.snn).
func validTargetName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// lookupLoaded returns the target of a data file given to UseDataFiles,
// parsed afresh, and whether there is one.
func lookupLoaded(name string) (*Target, bool, error) {
	loaded.RLock()
	f, ok := loaded.files[name]
	loaded.RUnlock()
	if !ok {
		return nil, false, nil
	}
	t, err := Parse(f.path, f.data)
	return t, true, err
}

// loadedNames lists the non-experimental targets given to UseDataFiles,
// sorted.
func loadedNames() []string {
	loaded.RLock()
	defer loaded.RUnlock()
	var names []string
	for n, f := range loaded.files {
		if t, err := Parse(f.path, f.data); err == nil && !t.Experimental {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
