package ir

// FileSummary is what snnc inspect reports about a model file: the file,
// its size and the summary of the model in it. Its JSON form is the
// Summary's object with "file" and "bytes" added.
type FileSummary struct {
	File  string `json:"file"`
	Bytes int    `json:"bytes"`
	Summary
}

// InspectFile reads the model file at path, decodes and verifies it (see
// Decode) and summarises it. A file that does not decode is an error
// naming the file and wrapping the decoder's *DecodeError.
func InspectFile(path string) (*FileSummary, error) {
	m, size, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return &FileSummary{File: path, Bytes: size, Summary: m.Summary()}, nil
}
