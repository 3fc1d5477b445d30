package fakeroot

import (
	"context"
	"io"
)

// batchBytes bounds the names one program is given: Linux takes about a
// quarter of the stack limit (2 MiB by default) for arguments and
// environment together, so 1 MiB leaves room for a large environment.
// A rootfs of 7,000 files has some 300 KiB of names: one program.
var batchBytes = 1 << 20

// runBatched runs program with args followed by "--" and the names, in as
// few runs as the argument limit allows, in the folder dir. out, when not
// nil, gets each run's standard output in order.
func (s *Session) runBatched(ctx context.Context, dir string, out io.Writer, program string, args, names []string) error {
	for len(names) > 0 {
		n, size := 0, 0
		for n < len(names) && (n == 0 || size+len(names[n])+1 <= batchBytes) {
			size += len(names[n]) + 1
			n++
		}
		argv := append(append(append([]string{}, args...), "--"), names[:n]...)
		if err := s.runIn(ctx, dir, nil, out, program, argv...); err != nil {
			return err
		}
		names = names[n:]
	}
	return nil
}
