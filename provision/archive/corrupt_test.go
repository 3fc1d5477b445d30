package archive

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestExtractCorruptArchives(t *testing.T) {
	needRoot(t)
	body := strings.Repeat("content ", 2000)
	good := newTar(t).file("etc/first", "ok").file("etc/big", body).file("etc/last", "end").bytes()
	// Offsets: first header 0 (+PAX), then 512-byte blocks.
	bigHeader := strings.Index(string(good), "etc/big") // inside the member's header
	one := newTar(t).file("a", "ok").bytes()
	cases := []struct {
		name  string
		data  []byte
		wants []string
	}{
		{"truncated inside content", good[:bigHeader+1500], []string{`tar entry "etc/big"`, "byte offset", "unexpected EOF"}},
		{"truncated inside a header", good[:bigHeader+100], []string{`after entry "etc/first"`, "byte offset"}},
		{"garbage header", append(append([]byte{}, one[:len(one)-1024]...), []byte(strings.Repeat("\xff", 512))...),
			[]string{`after entry "a"`, "byte offset", "invalid tar header"}},
		{"not a tar at all", []byte(strings.Repeat("hello world\n", 100)), []string{"read tar header at byte offset"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := extractBytes(t, c.data, t.TempDir(), ExtractOptions{})
			if err == nil {
				t.Fatal("corrupt archive extracted without error")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A reader failing mid-stream (a broken pipe, a decoder error) is reported
// as such, naming the entry being written.
func TestExtractReaderError(t *testing.T) {
	needRoot(t)
	data := newTar(t).file("a", strings.Repeat("x", 100000)).bytes()
	boom := errors.New("decoder failed")
	r := io.MultiReader(strings.NewReader(string(data[:20000])), errReader{boom})
	_, err := Extract(t.Context(), r, t.TempDir(), ExtractOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `tar entry "a"`) {
		t.Errorf("err = %v, want the reader's error naming entry a", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
