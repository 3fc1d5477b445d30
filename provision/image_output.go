package provision

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// imageOutput is where image writes: a temporary file beside the output,
// renamed over it once complete (so a failure, or an output that is also
// the input, never leaves a half-written file), or standard output.
type imageOutput struct {
	io.Writer
	file  *os.File
	final string
}

func createOutput(out string, stdout io.Writer) (*imageOutput, error) {
	if out == "-" {
		if stdout == nil {
			stdout = os.Stdout
		}
		return &imageOutput{Writer: stdout}, nil
	}
	dir, base := filepath.Split(out)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output %q: %w: give a writable folder with -o", out, err)
	}
	return &imageOutput{Writer: f, file: f, final: out}, nil
}

// commit renames the temporary file into place, mode 0644. It does not
// fsync, as neither cp nor tar does: a build's output is remade after a
// crash, and flushing gigabytes to disk would double the run's time.
func (o *imageOutput) commit() error {
	if o.file == nil {
		return nil
	}
	defer o.file.Close()
	if err := o.file.Chmod(0o644); err != nil {
		o.abort()
		return err
	}
	if err := os.Rename(o.file.Name(), o.final); err != nil {
		o.abort()
		return err
	}
	return nil
}

// abort removes the temporary file.
func (o *imageOutput) abort() {
	if o.file != nil {
		o.file.Close()
		os.Remove(o.file.Name())
	}
}
