package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/snnc/snnc/ir"
)

// cacheFormat changes when the cached records change shape.
const cacheFormat = "plan-cache-2"

// Cache is the content-addressed store of a sweep's compiled networks and
// points under one directory:
//
//	DIR/compile/KEY.json   the compilation's record (cores, chips, or the limits it breaks)
//	DIR/compile/KEY.snn    the compiled network (when it fits)
//	DIR/point/KEY.json     a point's figures
//
// A key is the SHA-256 of everything the entry depends on: the code
// (buildID), Settings.Version, the model's bytes, the target's data, the
// settings and the data's identity (see Run). Each
// file is written atomically (ir.WriteFileAtomic); an entry that cannot be
// read or decoded counts as missing and is computed again.
type Cache struct{ dir string }

// openCache returns the cache in dir (nil, no cache, when dir is "").
func openCache(dir string) *Cache {
	if dir == "" {
		return nil
	}
	return &Cache{dir: dir}
}

// DefaultCacheDir is the cache of snnc plan under the user's cache
// directory (os.UserCacheDir()/snnc/plan).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("plan: no user cache directory (give --cache DIR): %w", err)
	}
	return filepath.Join(d, "snnc", "plan"), nil
}

func (c *Cache) path(kind, key, ext string) string {
	return filepath.Join(c.dir, kind, key+ext)
}

func (c *Cache) write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plan: cache: %w", err)
	}
	if err := ir.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("plan: cache: %w", err)
	}
	return nil
}

// read returns the file's bytes, or nil when it is missing or unreadable.
func (c *Cache) read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return b
}

// loadPoint fills p from the cache; it reports whether the point was there.
// p's settings (target, bits, T, graded) are kept.
func (c *Cache) loadPoint(key string, p *Point) bool {
	if c == nil {
		return false
	}
	b := c.read(c.path("point", key, ".json"))
	if b == nil {
		return false
	}
	var got Point
	if json.Unmarshal(b, &got) != nil || got.Target != p.Target || got.Timesteps != p.Timesteps || got.WeightBits != p.WeightBits || got.Graded != p.Graded {
		return false
	}
	got.Pareto = false
	*p = got
	return true
}

func (c *Cache) storePoint(key string, p *Point) error {
	if c == nil {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("plan: cache: %w", err)
	}
	return c.write(c.path("point", key, ".json"), b)
}

// loadCompiled fills rec and model from the cache; it reports whether the
// compilation was there.
func (c *Cache) loadCompiled(key string, rec *compileRecord, model **ir.Model) bool {
	if c == nil {
		return false
	}
	b := c.read(c.path("compile", key, ".json"))
	if b == nil {
		return false
	}
	var got compileRecord
	if json.Unmarshal(b, &got) != nil {
		return false
	}
	if len(got.Refused) == 0 && got.Failed == "" {
		mb := c.read(c.path("compile", key, ".snn"))
		if mb == nil {
			return false
		}
		m, err := ir.Decode(mb)
		if err != nil || m.Quantized == nil || m.Mapping == nil {
			return false
		}
		*model = m
	}
	*rec = got
	return true
}

// storeCompiled writes the network first, then the record that points to
// it, so that a record is never read without its network.
func (c *Cache) storeCompiled(key string, rec *compileRecord, m *ir.Model) error {
	if c == nil {
		return nil
	}
	if m != nil {
		b, err := ir.Encode(m)
		if err != nil {
			return fmt.Errorf("plan: cache: %w", err)
		}
		if err := c.write(c.path("compile", key, ".snn"), b); err != nil {
			return err
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("plan: cache: %w", err)
	}
	return c.write(c.path("compile", key, ".json"), b)
}

// ClearCache removes the entries of the cache in dir (snnc plan --fresh).
func ClearCache(dir string) error {
	for _, kind := range []string{"compile", "point"} {
		if err := os.RemoveAll(filepath.Join(dir, kind)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("plan: cache: %w", err)
		}
	}
	return nil
}

// keyOf hashes its parts, each length-prefixed so that no two lists of
// parts collide by concatenation.
func keyOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hashJSON hashes v's JSON form (a target's data).
func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unhashable:" + err.Error()
	}
	return hashBytes(b)
}

// buildID names the code that computes the figures: the VCS revision of a
// clean build; for a build from a modified tree (or without VCS
// information) the hash of the executable itself, so that no edit of the
// code is ever answered from an older build's cache.
func buildID() string {
	buildIDOnce.Do(func() { buildIDValue = computeBuildID() })
	return buildIDValue
}

var (
	buildIDOnce  sync.Once
	buildIDValue string
)

func computeBuildID() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified := "", true
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" && !modified {
			return "vcs " + rev
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return "unknown build"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown build"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown build"
	}
	return "exe " + hex.EncodeToString(h.Sum(nil))
}
