package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

const usage = `usage:
  irsa-probe-image build -out DIR -version V [-commit C] [-created RFC3339] [-ca-bundle FILE] -binary OS/ARCH=FILE...
  irsa-probe-image push [-layout DIR] REGISTRY/REPOSITORY:TAG`

// binaryFlags collects -binary linux/arm64=FILE.
type binaryFlags map[string]string

func (b binaryFlags) String() string { return fmt.Sprint(map[string]string(b)) }

func (b binaryFlags) Set(v string) error {
	p, file, ok := strings.Cut(v, "=")
	if !ok || file == "" {
		return fmt.Errorf("want OS/ARCH=FILE, got %q", v)
	}
	if _, known := platforms[p]; !known {
		return fmt.Errorf("platform %q: want one of linux/amd64, linux/arm64", p)
	}
	b[p] = file
	return nil
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[0] {
	case "build":
		o := buildOptions{binaries: binaryFlags{}}
		var created string
		fs.StringVar(&o.out, "out", "dist/image", "OCI image layout directory to write")
		fs.StringVar(&o.version, "version", "", "image version (the VERSION file)")
		fs.StringVar(&o.commit, "commit", "", "source commit")
		fs.StringVar(&created, "created", "", "creation time, RFC 3339 (the commit's time; default 1970-01-01T00:00:00Z)")
		fs.StringVar(&o.caBundle, "ca-bundle", defaultCABundle, "PEM CA bundle to ship")
		fs.Var(binaryFlags(o.binaries), "binary", "OS/ARCH=FILE, once per platform")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w\n%s", err, usage)
		}
		if o.version == "" || fs.NArg() > 0 {
			return errors.New(usage)
		}
		for p := range platforms {
			if o.binaries[p] == "" {
				return fmt.Errorf("no -binary for %s: the image is for every platform of linux/amd64, linux/arm64", p)
			}
		}
		o.created = time.Unix(0, 0).UTC()
		if created != "" {
			t, err := time.Parse(time.RFC3339, created)
			if err != nil {
				return fmt.Errorf("-created: %w", err)
			}
			o.created = t
		}
		d, err := build(o)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stdout, "%s: image index %s (%s)\n", o.out, d, o.version)
		return nil
	case "push":
		dir := fs.String("layout", "dist/image", "OCI image layout directory written by build")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w\n%s", err, usage)
		}
		if fs.NArg() != 1 {
			return errors.New(usage)
		}
		return push(ctx, *dir, fs.Arg(0), os.Stdout)
	}
	return errors.New(usage)
}
