package server

import (
	"fmt"
	"net/http"
)

// Error is an error as SQS reports it. Code is the error's name in the SQS
// API model (QueueDoesNotExist, InvalidParameterValue …), which is what
// aws-sdk-go-v2 turns into a types.* error; the older query-protocol code
// (AWS.SimpleQueueService.NonExistentQueue) goes out in a header beside it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorKind is how an error code goes over the wire.
type errorKind struct {
	status int
	// query is the code of the query protocol, sent in x-amzn-query-error
	// so that clients in query-compatible mode report the code they always
	// did; "" means the same as the code.
	query string
	// namespace of the __type; SQS's own errors are in com.amazonaws.sqs.
	namespace string
	// server marks faults of the service rather than of the request.
	server bool
}

// errorKinds lists every code the server sends. The statuses and query
// codes are those of the SQS API model.
var errorKinds = map[string]errorKind{
	"BatchEntryIdsNotDistinct":     {status: 400, query: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	"BatchRequestTooLong":          {status: 400, query: "AWS.SimpleQueueService.BatchRequestTooLong"},
	"EmptyBatchRequest":            {status: 400, query: "AWS.SimpleQueueService.EmptyBatchRequest"},
	"InvalidAttributeName":         {status: 400},
	"InvalidAttributeValue":        {status: 400},
	"InvalidBatchEntryId":          {status: 400, query: "AWS.SimpleQueueService.InvalidBatchEntryId"},
	"InvalidMessageContents":       {status: 400},
	"MessageNotInflight":           {status: 400, query: "AWS.SimpleQueueService.MessageNotInflight"},
	"PurgeQueueInProgress":         {status: 400, query: "AWS.SimpleQueueService.PurgeQueueInProgress"},
	"QueueDoesNotExist":            {status: 400, query: "AWS.SimpleQueueService.NonExistentQueue"},
	"QueueNameExists":              {status: 400, query: "QueueAlreadyExists"},
	"ReceiptHandleIsInvalid":       {status: 404},
	"ResourceNotFoundException":    {status: 404},
	"TooManyEntriesInBatchRequest": {status: 400, query: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
	"UnsupportedOperation":         {status: 400, query: "AWS.SimpleQueueService.UnsupportedOperation"},
	// Common errors, not in the model: the SDK reports them as
	// smithy.GenericAPIError with this code.
	"InvalidParameterValue":      {status: 400},
	"MissingParameter":           {status: 400},
	"InvalidAction":              {status: 400},
	"MissingAuthenticationToken": {status: 403},
	"SerializationException":     {status: 400, namespace: "com.amazon.coral.service"},
	"InternalFailure":            {status: 500, server: true},
}

// kind returns how e goes over the wire; an unlisted code is a client
// error with status 400.
func (e *Error) kind() errorKind {
	k, ok := errorKinds[e.Code]
	if !ok {
		k = errorKind{status: http.StatusBadRequest}
	}
	if k.query == "" {
		k.query = e.Code
	}
	if k.namespace == "" {
		k.namespace = "com.amazonaws.sqs"
	}
	return k
}

func apiError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func errQueueDoesNotExist() *Error {
	return apiError("QueueDoesNotExist", "The specified queue does not exist.")
}

func errMissing(param string) *Error {
	return apiError("MissingParameter", "The request must contain the parameter %s.", param)
}

// errInvalidParam is the message SQS sends for a value out of range, with
// the reason after it.
func errInvalidParam(value any, param, reason string) *Error {
	return apiError("InvalidParameterValue", "Value %v for parameter %s is invalid. Reason: %s", value, param, reason)
}
