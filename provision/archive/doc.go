// Package archive moves the bytes of a root filesystem: decompression chosen
// by magic bytes, tar → folder (secure), folder → folder, ownership shifting.
// Every write lands inside the destination through os.Root.
package archive
