package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
)

// govmomi's property collector returns every object in one answer whatever options.maxObjects says; vCenter returns
// at most maxObjects (and caps it itself) with a token, and the client asks for the rest with
// ContinueRetrievePropertiesEx until an answer comes without one. These functions add that paging.

var maxObjectsPattern = regexp.MustCompile(`<maxObjects>\s*(\d+)\s*</maxObjects>`)

// pagedResult is what is left of one retrieval: the serialized <objects> elements not yet returned.
type pagedResult struct {
	max     int
	objects [][]byte
}

func maxObjectsOf(body []byte) int {
	m := maxObjectsPattern.FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return 0
	}
	return n
}

// pageRetrieval cuts the simulator's whole answer to its first page when it holds more than maxObjects objects.
func (s *state) pageRetrieval(w http.ResponseWriter, recorder *httptest.ResponseRecorder, max int) bool {
	if recorder.Code != http.StatusOK || max <= 0 {
		return false
	}
	body := recorder.Body.Bytes()
	open, close := bytes.Index(body, []byte("<returnval>")), bytes.LastIndex(body, []byte("</returnval>"))
	if open < 0 || close < open {
		return false
	}
	objects := topLevelElements(body[open+len("<returnval>") : close])
	if len(objects) <= max {
		return false
	}
	s.mu.Lock()
	s.pageSeq++
	token := fmt.Sprintf("vcsim-retrieval-%d", s.pageSeq)
	s.pages[token] = &pagedResult{max: max, objects: objects[max:]}
	s.mu.Unlock()
	writePage(w, "RetrievePropertiesEx", token, objects[:max])
	return true
}

func (s *state) continueRetrieval(w http.ResponseWriter, call *soapCall) {
	token := call.args["token"]
	s.mu.Lock()
	page, ok := s.pages[token]
	var objects [][]byte
	next := ""
	if ok {
		delete(s.pages, token)
		objects = page.objects
		if len(objects) > page.max {
			s.pageSeq++
			next = fmt.Sprintf("vcsim-retrieval-%d", s.pageSeq)
			s.pages[next] = &pagedResult{max: page.max, objects: objects[page.max:]}
			objects = objects[:page.max]
		}
	}
	s.mu.Unlock()
	if !ok {
		writeFault(w, "InvalidArgument", "A specified parameter was not correct: token", "<invalidProperty>token</invalidProperty>")
		return
	}
	writePage(w, "ContinueRetrievePropertiesEx", next, objects)
}

func (s *state) cancelRetrieval(w http.ResponseWriter, call *soapCall) {
	s.mu.Lock()
	delete(s.pages, call.args["token"])
	s.mu.Unlock()
	writeResponse(w, "CancelRetrievePropertiesEx", "")
}

func writePage(w http.ResponseWriter, method, token string, objects [][]byte) {
	var out bytes.Buffer
	out.WriteString("<returnval>")
	if token != "" {
		fmt.Fprintf(&out, "<token>%s</token>", token)
	}
	for _, o := range objects {
		out.Write(o)
	}
	out.WriteString("</returnval>")
	writeResponse(w, method, out.String())
}

// topLevelElements returns the bytes of each element directly inside the fragment (namespace prefixes are left as
// they are: they are declared on the envelope, which the page is written into again).
func topLevelElements(fragment []byte) [][]byte {
	dec := xml.NewDecoder(bytes.NewReader(fragment))
	var out [][]byte
	depth := 0
	var start int64
	for {
		offset := dec.InputOffset()
		tok, err := dec.RawToken()
		if err != nil {
			return out
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				start = offset
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				out = append(out, fragment[start:dec.InputOffset()])
			}
		}
	}
}
