package npmdeps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// extractLimits bound what one tarball may unpack to.
type extractLimits struct {
	maxBytes int64 // total size of the regular files
	maxFiles int   // number of entries of any kind
}

// errTarballTooLarge marks an extraction stopped by extractLimits.
var errTarballTooLarge = errors.New("tarball unpacks past the size limit")

// extractTarball unpacks an npm package tarball (gzip'd tar) into dest, which must exist and be
// empty, and returns the bytes of regular files written. The first path segment of every entry
// is dropped, as npm does ("package/" in nearly every tarball). Guards:
//   - an entry whose path is absolute or climbs with ".." fails the whole package, and every
//     write goes through an os.Root, so nothing lands outside dest whatever the entry names;
//   - symbolic and hard links, devices and FIFOs are skipped (npm skips links too), so no later
//     entry can be written through a link;
//   - the decompressed stream, the file bytes and the entry count are bounded (gzip bombs);
//   - files are written 0644 and folders 0755: no mode bit from the tarball is kept.
func extractTarball(tgz []byte, dest string, lim extractLimits) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return 0, fmt.Errorf("not a gzip stream: %w", err)
	}
	defer zr.Close()
	// Tar headers and padding count too: a stream of empty entries is still a bomb.
	stream := &limitedReader{r: zr, n: lim.maxBytes + int64(lim.maxFiles)*1024 + 1<<20}
	tr := tar.NewReader(stream)
	root, err := os.OpenRoot(dest)
	if err != nil {
		return 0, err
	}
	defer root.Close()

	var written int64
	entries := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errTarballTooLarge) {
				return written, err
			}
			return written, fmt.Errorf("malformed tar stream: %w", err)
		}
		entries++
		if entries > lim.maxFiles {
			return written, fmt.Errorf("%w: more than %d entries", errTarballTooLarge, lim.maxFiles)
		}
		rel, err := entryPath(hdr.Name)
		if err != nil {
			return written, err
		}
		if rel == "" {
			continue // the top folder itself
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(rel, 0o755); err != nil {
				return written, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
		case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
			if hdr.Size < 0 || written+hdr.Size > lim.maxBytes {
				return written, fmt.Errorf("%w of %d bytes", errTarballTooLarge, lim.maxBytes)
			}
			if dir := path.Dir(rel); dir != "." {
				if err := root.MkdirAll(dir, 0o755); err != nil {
					return written, fmt.Errorf("entry %q: %w", hdr.Name, err)
				}
			}
			f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return written, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
			n, err := io.Copy(f, io.LimitReader(tr, hdr.Size))
			closeErr := f.Close()
			written += n
			if err != nil {
				if errors.Is(err, errTarballTooLarge) {
					return written, err
				}
				return written, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
			if closeErr != nil {
				return written, closeErr
			}
		default:
			// Links, devices, FIFOs and vendor extensions: skipped.
		}
	}
	return written, nil
}

// errEscape marks an entry that tries to leave the package folder.
var errEscape = errors.New("tarball entry escapes the package folder")

// entryPath turns a tar entry's name into a path relative to the package folder, dropping the
// first segment; "" is the top folder. Absolute names and ".." segments are refused outright
// rather than cleaned: no honest tarball has them.
func entryPath(name string) (string, error) {
	name = strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\x00") || (len(name) >= 2 && name[1] == ':') {
		return "", fmt.Errorf("%w: %q", errEscape, name)
	}
	segs := strings.Split(name, "/")
	for _, s := range segs {
		if s == ".." {
			return "", fmt.Errorf("%w: %q", errEscape, name)
		}
	}
	var kept []string
	for _, s := range segs[1:] {
		if s != "" && s != "." {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, "/"), nil
}

// limitedReader fails, rather than ending quietly as io.LimitReader does, past n bytes.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTarballTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
