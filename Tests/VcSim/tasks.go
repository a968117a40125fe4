package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// hold keeps the next task of a method running, showing each progress value for step, before the call really runs.
// govmomi's simulator finishes every task before its *_Task call answers and never sets info.progress; a vCenter
// snapshot or consolidation runs for minutes and reports its progress while it does.
// A step of 0 means each value is held until the control API says advance-task: a test then sees every value for sure.
type hold struct {
	progress []int32
	step     time.Duration
	advance  chan struct{}
}

// holdTask answers the call at once with a running task of our own; in the background it steps through the
// progress values, then runs the real call and gives our task the real task's outcome.
func (s *state) holdTask(w http.ResponseWriter, r *http.Request, call *soapCall, body []byte, inner http.Handler, h hold) {
	obj := simulator.Map.Get(call.this)
	if obj == nil {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created",
			fmt.Sprintf(`<obj type="%s">%s</obj>`, call.this.Type, call.this.Value))
		return
	}
	name := strings.TrimSuffix(call.method, "_Task")
	name = strings.ToLower(name[:1]) + name[1:]
	task := simulator.CreateTask(obj, name, nil)
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
		{Name: "info.progress", Val: h.progress[0]},
	})
	headers := r.Header.Clone()
	writeResponse(w, call.method, fmt.Sprintf(`<returnval type="Task">%s</returnval>`, task.Self.Value))

	go func() {
		for i, p := range h.progress {
			if i > 0 {
				simulator.Map.Update(task, []types.PropertyChange{{Name: "info.progress", Val: p}})
			}
			if h.advance != nil {
				<-h.advance
			} else {
				time.Sleep(h.step)
			}
		}
		s.mu.Lock()
		if s.advancing[call.method] == h.advance {
			delete(s.advancing, call.method)
		}
		s.mu.Unlock()
		req := httptest.NewRequest(http.MethodPost, "/sdk", bytes.NewReader(body))
		req.Header = headers
		recorder := httptest.NewRecorder()
		inner.ServeHTTP(recorder, req)
		s.afterCall(call, req, recorder)

		state, result, fault := types.TaskInfoStateError, types.AnyType(nil), interface{}(nil)
		res, err := parseCall(recorder.Body.Bytes())
		if err == nil && recorder.Code == http.StatusOK {
			if real, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: res.args["returnval"]}).(*simulator.Task); ok {
				simulator.Map.WithLock(real, func() {
					state, result = real.Info.State, real.Info.Result
					if real.Info.Error != nil {
						fault = *real.Info.Error
					}
				})
			}
		} else {
			message := "the held call failed"
			if err == nil {
				message = res.args["faultstring"]
			}
			fault = types.LocalizedMethodFault{Fault: &types.SystemError{Reason: message}, LocalizedMessage: message}
		}
		changes := []types.PropertyChange{
			{Name: "info.completeTime", Val: time.Now()},
			{Name: "info.state", Val: state},
			{Name: "info.result", Val: result},
			{Name: "info.error", Val: fault},
		}
		if state == types.TaskInfoStateSuccess {
			changes = append(changes, types.PropertyChange{Name: "info.progress", Val: int32(100)})
		}
		simulator.Map.Update(task, changes)
	}()
}

// advanceTask lets the held task of a method move past its current progress value (or finish after the last one).
func (s *state) advanceTask(w http.ResponseWriter, method string) {
	s.mu.Lock()
	ch := s.advancing[method]
	s.mu.Unlock()
	if ch == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no task of " + method + " is held for advance-task"})
		return
	}
	select {
	case ch <- struct{}{}:
		writeJSON(w, http.StatusOK, map[string]string{"method": method})
	case <-time.After(10 * time.Second):
		writeJSON(w, http.StatusConflict, map[string]string{"error": "the held task of " + method + " has not started or has finished"})
	}
}
