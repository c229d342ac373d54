package main

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// push uploads the image index of the layout at dir to ref, with the
// credentials of `docker login` / `crane auth login` (~/.docker/config.json
// and its credential helpers, such as docker-credential-ecr-login).
func push(ctx context.Context, dir, ref string, out io.Writer, opts ...remote.Option) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return fmt.Errorf("failed to open the layout (run `make image` first): %w", err)
	}
	root, err := lp.ImageIndex()
	if err != nil {
		return err
	}
	im, err := root.IndexManifest()
	if err != nil {
		return err
	}
	if len(im.Manifests) != 1 || !im.Manifests[0].MediaType.IsIndex() {
		return fmt.Errorf("layout %s: want exactly one image index in index.json, found %d entries", dir, len(im.Manifests))
	}
	idx, err := root.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		return err
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.WriteIndex(r, idx, opts...); err != nil {
		return fmt.Errorf("failed to push %s: %w", r, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s@%s\n", r.Context(), d)
	return nil
}
