package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPush pushes the layout to a registry on 127.0.0.1 (the library's
// in-memory implementation of the distribution API) and reads back the same
// index and both platforms' images.
func TestPush(t *testing.T) {
	idx, imgs := platformImages(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/team/irsa-probe:v0.0.0-test"

	var out strings.Builder
	if err := push(context.Background(), testLayout(t), ref, &out); err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	if !strings.HasSuffix(strings.TrimSpace(out.String()), "@"+want.String()) {
		t.Errorf("push printed %q, want the index digest %s", out.String(), want)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("registry holds %s, pushed %s", d, want)
	}
	for p, img := range imgs {
		wd, _ := img.Digest()
		d, err := got.Image(wd)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		// Reading every layer back checks the blobs arrived, not only the manifests.
		layers, _ := d.Layers()
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			rc.Close()
		}
	}
}

// TestPushRefusesWhatItCannotPush: a bad reference or a missing layout is
// an error before any network call.
func TestPushRefusesWhatItCannotPush(t *testing.T) {
	for _, tc := range []struct{ dir, ref, want string }{
		{t.TempDir(), "127.0.0.1:1/team/irsa-probe:v1", "make image"},
		{testLayout(t), "UPPER/case:tag", "image reference"},
	} {
		err := push(context.Background(), tc.dir, tc.ref, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("push(%s, %s) = %v, want an error naming %q", tc.dir, tc.ref, err, tc.want)
		}
	}
}
