// Package shelltest checks printed commands the way a person's shell
// reads them, for tests only: Parse reads a line with a real shell parser
// (mvdan.cc/sh/v3/syntax) into the simple commands it runs and their exact
// argv, refusing any expansion, glob, comment or control operator it did
// not expect; Paste feeds lines to bash, dash and interactive zsh against
// stub commands that record their argv.
package shelltest
