package archive

import (
	"bytes"
	"context"
	"io"
)

var errCanceled = context.Canceled

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
