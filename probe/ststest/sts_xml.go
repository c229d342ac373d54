package ststest

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// stsVersion is the only API version STS has.
const stsVersion = "2011-06-15"

// awsTimeFormat is how STS writes timestamps: RFC 3339, UTC, whole seconds.
const awsTimeFormat = "2006-01-02T15:04:05Z"

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type xmlAssumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName  xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result   assumeRoleWithWebIdentityResult
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string   `xml:"SubjectFromWebIdentityToken"`
	Audience                    string   `xml:"Audience"`
	AssumedRoleUser             xmlAssumedRoleUser
	Credentials                 xmlCredentials
	// Provider is the OIDC provider's ARN for OIDC tokens, as real answers
	// show ("arn:aws:iam::ACCOUNT:oidc-provider/oidc.eks...").
	Provider string `xml:"Provider"`
}

type getCallerIdentityResponse struct {
	XMLName  xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result   getCallerIdentityResult
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type xmlError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeXML sends body the way STS does: text/xml, the request id in
// x-amzn-RequestId (where the SDK's ServiceRequestID comes from on success),
// and indented XML with a trailing newline.
func writeXML(w http.ResponseWriter, status int, requestID string, body any) {
	out, err := xml.MarshalIndent(body, "", "  ")
	if err != nil {
		// Only our own fixed structs are marshalled, so this is a bug.
		panic("ststest: marshal response: " + err.Error())
	}
	out = append(out, '\n')
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	writeXML(w, e.Status, requestID, errorResponse{
		Error:     xmlError{Type: e.Type, Code: e.Code, Message: e.Message},
		RequestID: requestID,
	})
}

func formatAWSTime(t time.Time) string { return t.UTC().Format(awsTimeFormat) }
