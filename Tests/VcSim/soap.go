package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const sessionCookie = "vmware_soap_session"

// soapCall is the part of a request the interception needs: the method, its _this and its other arguments.
type soapCall struct {
	method string
	this   types.ManagedObjectReference
	args   map[string]string
	// refs holds the type attribute of arguments that are managed object references.
	refs map[string]string
}

func parseCall(body []byte) (*soapCall, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	call := &soapCall{args: map[string]string{}, refs: map[string]string{}}
	depth, bodyDepth := 0, -1
	var current string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case t.Name.Local == "Body" && bodyDepth < 0:
				bodyDepth = depth
			case bodyDepth > 0 && depth == bodyDepth+1:
				call.method = t.Name.Local
			case bodyDepth > 0 && depth == bodyDepth+2:
				current = t.Name.Local
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						call.refs[current] = a.Value
					}
				}
			}
		case xml.CharData:
			if current != "" {
				text.Write(t)
			}
		case xml.EndElement:
			if bodyDepth > 0 && depth == bodyDepth+2 && current != "" {
				if _, seen := call.args[current]; !seen {
					call.args[current] = strings.TrimSpace(text.String())
				}
				current = ""
			}
			depth--
		}
	}
	if call.method == "" {
		return nil, fmt.Errorf("no method in the SOAP body")
	}
	call.this = types.ManagedObjectReference{Type: call.refs["_this"], Value: call.args["_this"]}
	return call, nil
}

// handler puts the additions in front of the simulator's own handler.
func (s *state) handler(inner http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/control/", s.controlHandler())
	mux.HandleFunc("/folder/", func(w http.ResponseWriter, r *http.Request) {
		if !s.authenticated(r) {
			http.Error(w, "not authenticated", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
	mux.HandleFunc("/sdk", func(w http.ResponseWriter, r *http.Request) { s.serveSDK(w, r, inner) })
	mux.Handle("/", inner)
	return mux
}

func (s *state) authenticated(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cookies[strings.Trim(c.Value, `"`)]
}

func (s *state) serveSDK(w http.ResponseWriter, r *http.Request, inner http.Handler) {
	if r.Method != http.MethodPost {
		inner.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}

	call, err := parseCall(body)
	if err != nil {
		writeFault(w, "InvalidRequest", err.Error(), "")
		return
	}
	if call.method != "RetrieveServiceContent" && call.method != "Login" && !s.authenticated(r) {
		writeFault(w, "NotAuthenticated", "The session is not authenticated.",
			fmt.Sprintf(`<object type="%s">%s</object><privilegeId>System.View</privilegeId>`, html.EscapeString(call.this.Type), html.EscapeString(call.this.Value)))
		return
	}

	s.mu.Lock()
	s.calls[call.method]++
	fail, failing := s.failNext[call.method]
	delete(s.failNext, call.method)
	held, holding := s.holdNext[call.method]
	delete(s.holdNext, call.method)
	s.mu.Unlock()
	if failing {
		s.failTask(w, call, fail)
		return
	}

	switch call.method {
	case "QueryChangedDiskAreas":
		s.queryChangedDiskAreas(w, call)
		return
	case "ContinueRetrievePropertiesEx":
		s.continueRetrieval(w, call)
		return
	case "CancelRetrievePropertiesEx":
		s.cancelRetrieval(w, call)
		return
	}
	if holding {
		s.holdTask(w, r, call, body, inner, held)
		return
	}

	if !s.authenticated(r) {
		// An expired session is unknown to vCenter: a Login with its cookie starts a new one.
		r.Header.Del("Cookie")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	recorder := httptest.NewRecorder()
	inner.ServeHTTP(recorder, r)

	s.afterCall(call, r, recorder)
	if call.method == "RetrievePropertiesEx" && s.pageRetrieval(w, recorder, maxObjectsOf(body)) {
		return
	}

	for k, v := range recorder.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(recorder.Code)
	_, _ = w.Write(recorder.Body.Bytes())
}

// afterCall does what the additions need once the simulator has answered a call.
func (s *state) afterCall(call *soapCall, r *http.Request, recorder *httptest.ResponseRecorder) {
	switch call.method {
	case "Login":
		if recorder.Code == http.StatusOK {
			for _, c := range (&http.Response{Header: recorder.Header()}).Cookies() {
				if c.Name == sessionCookie {
					s.mu.Lock()
					s.cookies[c.Value] = true
					s.mu.Unlock()
				}
			}
		}
	case "Logout":
		if c, err := r.Cookie(sessionCookie); err == nil {
			s.mu.Lock()
			delete(s.cookies, strings.Trim(c.Value, `"`))
			s.mu.Unlock()
		}
	case "CreateSnapshot_Task":
		if recorder.Code == http.StatusOK {
			s.afterSnapshot(call, recorder.Body.Bytes())
		}
	case "RemoveSnapshot_Task":
		if recorder.Code == http.StatusOK {
			s.afterRemoveSnapshot(call.this.Value)
		}
	}
}

const envelopeStart = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
	`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`
const envelopeEnd = `</soapenv:Body></soapenv:Envelope>`

// writeFault answers as vCenter does: HTTP 500, a SOAP fault whose detail names the fault type.
func writeFault(w http.ResponseWriter, kind, message, detail string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `%s<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail><%sFault xmlns="urn:vim25" xsi:type="%s">%s</%sFault></detail></soapenv:Fault>%s`,
		envelopeStart, html.EscapeString(message), kind, kind, detail, kind, envelopeEnd)
}

func writeResponse(w http.ResponseWriter, method, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `%s<%sResponse xmlns="urn:vim25">%s</%sResponse>%s`, envelopeStart, method, inner, method, envelopeEnd)
}

// failTask answers a *_Task call with a task that has already failed with the configured message.
func (s *state) failTask(w http.ResponseWriter, call *soapCall, fail failure) {
	obj := simulator.Map.Get(call.this)
	if obj == nil {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created",
			fmt.Sprintf(`<obj type="%s">%s</obj>`, call.this.Type, call.this.Value))
		return
	}
	if !strings.HasSuffix(call.method, "_Task") {
		writeFault(w, "SystemError", fail.message, "<reason>"+html.EscapeString(fail.message)+"</reason>")
		return
	}
	fault := &types.SystemError{Reason: fail.message}
	name := strings.TrimSuffix(call.method, "_Task")
	name = strings.ToLower(name[:1]) + name[1:]
	task := simulator.CreateTask(obj, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, fault })
	ref := task.Run()
	simulator.Map.Update(task, []types.PropertyChange{{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: fail.message}}})
	writeResponse(w, call.method, fmt.Sprintf(`<returnval type="Task">%s</returnval>`, ref.Value))
}

func atoi64(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) }
