package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// UnpromisedNulls returns the places in a JSON body where it holds a null
// that its schema does not declare nullable, as paths such as
// "items[0].session_id". The API leaves out an optional field that has no
// value rather than padding it with null: a client must be able to rely on
// a field being absent or a real value unless the spec promises a null. A
// null where the schema has no property at all (an undeclared field of an
// open object) is unpromised too. It returns an error when body is not JSON.
func UnpromisedNulls(schema *openapi3.SchemaRef, body []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out []string
	walkNulls(schemaOf(schema), v, "", &out)
	return out, nil
}

// ResponseSchema returns the schema the spec gives for the body of op's
// response with the status and content type, or nil when it gives none.
func ResponseSchema(op *openapi3.Operation, status int, contentType string) *openapi3.SchemaRef {
	if op == nil || op.Responses == nil {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get(contentType)
	if mt == nil {
		return nil
	}
	return mt.Schema
}

// isJSON reports whether a content type is JSON, problem documents included.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

func walkNulls(s *openapi3.Schema, v any, path string, out *[]string) {
	switch v := v.(type) {
	case nil:
		if !nullable(s) {
			*out = append(*out, pathOrRoot(path))
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkNulls(propertySchema(s, k), v[k], p, out)
		}
	case []any:
		items := itemsSchema(s)
		for i, x := range v {
			walkNulls(items, x, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

func pathOrRoot(path string) string {
	if path == "" {
		return "(the body)"
	}
	return path
}

// nullable reports whether the schema admits null: it says nullable: true
// itself, or every schema of its allOf does, or any of its oneOf or anyOf.
// A value with no schema admits none.
func nullable(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	if s.Nullable {
		return true
	}
	if len(s.AllOf) > 0 {
		all := true
		for _, sub := range s.AllOf {
			all = all && nullable(schemaOf(sub))
		}
		if all {
			return true
		}
	}
	for _, sub := range append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...) {
		if nullable(schemaOf(sub)) {
			return true
		}
	}
	return false
}

// propertySchema finds the schema of an object's property: declared on the
// schema, on one it composes (allOf, oneOf, anyOf), or given by
// additionalProperties. It returns nil for a property nothing declares.
func propertySchema(s *openapi3.Schema, name string) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if p, ok := s.Properties[name]; ok {
		return schemaOf(p)
	}
	for _, sub := range composed(s) {
		if p := propertySchema(schemaOf(sub), name); p != nil {
			return p
		}
	}
	return schemaOf(s.AdditionalProperties.Schema)
}

// itemsSchema finds the schema of an array's items, possibly through
// composition.
func itemsSchema(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if s.Items != nil {
		return s.Items.Value
	}
	for _, sub := range composed(s) {
		if it := itemsSchema(schemaOf(sub)); it != nil {
			return it
		}
	}
	return nil
}

func composed(s *openapi3.Schema) openapi3.SchemaRefs {
	return append(append(append(openapi3.SchemaRefs{}, s.AllOf...), s.OneOf...), s.AnyOf...)
}

// checkNulls fails the test when a JSON response holds a null its schema
// does not promise. A response outside any operation (an unknown path) is
// held to the problem document's schema.
func (e *Env) checkNulls(req *http.Request, op *openapi3.Operation, res *Response) {
	e.T.Helper()
	ct := res.Header.Get("Content-Type")
	if len(res.Body) == 0 || !isJSON(ct) {
		return
	}
	schema := ResponseSchema(op, res.Status, ct)
	if schema == nil && strings.HasPrefix(ct, "application/problem+json") {
		schema = e.doc.Components.Schemas["Problem"]
	}
	if schema == nil {
		return // an undocumented response: the contract check reports it
	}
	nulls, err := UnpromisedNulls(schema, res.Body)
	if err != nil {
		e.T.Errorf("%s %s -> %d: body is not JSON: %v", req.Method, req.URL.Path, res.Status, err)
		return
	}
	if len(nulls) > 0 {
		e.T.Errorf("%s %s -> %d: null where the spec promises none, at %s\nbody: %s",
			req.Method, req.URL.Path, res.Status, strings.Join(nulls, ", "), truncate(res.Body))
	}
}
