package policy

import (
	"errors"
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Kyverno's arithmetic functions take numbers, quantities ("100Mi") and
// durations ("1h30m"), as Kyverno's do: add and subtract two of a kind;
// multiply a quantity or duration by a number; divide a quantity or
// duration by a number (same kind) or by one of its kind (a number);
// modulo of two integers, quantities or durations.

type arithKind int

const (
	arithNumber arithKind = iota
	arithQuantity
	arithDuration
)

type arithValue struct {
	kind arithKind
	num  float64
	q    resource.Quantity
	d    time.Duration
}

func parseArith(fn string, i int, v any) (arithValue, error) {
	switch t := v.(type) {
	case float64:
		return arithValue{kind: arithNumber, num: t}, nil
	case string:
		// As Kyverno: a quantity first ("30m" is 0.03), then a duration.
		if q, err := resource.ParseQuantity(t); err == nil {
			return arithValue{kind: arithQuantity, q: q}, nil
		}
		if d, err := time.ParseDuration(t); err == nil {
			return arithValue{kind: arithDuration, d: d}, nil
		}
		return arithValue{}, fmt.Errorf("%s: argument %d %q is neither a quantity nor a duration", fn, i, t)
	}
	return arithValue{}, fmt.Errorf("%s: argument %d must be a number, a quantity or a duration, got %s", fn, i, jpTypeName(v))
}

func arithArgs(fn string, a []any) (arithValue, arithValue, error) {
	if len(a) != 2 {
		return arithValue{}, arithValue{}, fmt.Errorf("%s: 2 arguments expected, got %d", fn, len(a))
	}
	x, err := parseArith(fn, 1, a[0])
	if err != nil {
		return x, x, err
	}
	y, err := parseArith(fn, 2, a[1])
	return x, y, err
}

func arithmetic(fn string, a []any) (any, error) {
	x, y, err := arithArgs(fn, a)
	if err != nil {
		return nil, err
	}
	mismatch := fmt.Errorf("%s: cannot combine %s and %s", fn, jpTypeName(a[0]), jpTypeName(a[1]))
	switch fn {
	case "add", "subtract":
		sign := 1.0
		if fn == "subtract" {
			sign = -1
		}
		switch {
		case x.kind == arithNumber && y.kind == arithNumber:
			return x.num + sign*y.num, nil
		case x.kind == arithQuantity && y.kind == arithQuantity:
			if sign < 0 {
				x.q.Sub(y.q)
			} else {
				x.q.Add(y.q)
			}
			return x.q.String(), nil
		case x.kind == arithDuration && y.kind == arithDuration:
			return (x.d + time.Duration(sign)*y.d).String(), nil
		}
		return nil, mismatch
	case "multiply":
		if x.kind != arithNumber && y.kind == arithNumber {
			x, y = y, x
		}
		switch {
		case x.kind == arithNumber && y.kind == arithNumber:
			return x.num * y.num, nil
		case x.kind == arithNumber && y.kind == arithQuantity:
			return scaleQuantity(y.q, x.num), nil
		case x.kind == arithNumber && y.kind == arithDuration:
			return time.Duration(float64(y.d) * x.num).String(), nil
		}
		return nil, mismatch
	case "divide":
		if (y.kind == arithNumber && y.num == 0) || (y.kind == arithQuantity && y.q.IsZero()) || (y.kind == arithDuration && y.d == 0) {
			return nil, errors.New("divide: division by zero")
		}
		switch {
		case x.kind == arithNumber && y.kind == arithNumber:
			return x.num / y.num, nil
		case x.kind == arithQuantity && y.kind == arithQuantity:
			return x.q.AsApproximateFloat64() / y.q.AsApproximateFloat64(), nil
		case x.kind == arithQuantity && y.kind == arithNumber:
			return scaleQuantity(x.q, 1/y.num), nil
		case x.kind == arithDuration && y.kind == arithDuration:
			return float64(x.d) / float64(y.d), nil
		case x.kind == arithDuration && y.kind == arithNumber:
			return time.Duration(float64(x.d) / y.num).String(), nil
		}
		return nil, mismatch
	case "modulo":
		switch {
		case x.kind == arithNumber && y.kind == arithNumber:
			if x.num != math.Trunc(x.num) || y.num != math.Trunc(y.num) || y.num == 0 {
				return nil, errors.New("modulo: integers and a non-zero divisor expected")
			}
			return float64(int64(x.num) % int64(y.num)), nil
		case x.kind == arithQuantity && y.kind == arithQuantity:
			xv, yv := x.q.Value(), y.q.Value()
			if yv == 0 {
				return nil, errors.New("modulo: division by zero")
			}
			return resource.NewQuantity(xv%yv, x.q.Format).String(), nil
		case x.kind == arithDuration && y.kind == arithDuration:
			if y.d == 0 {
				return nil, errors.New("modulo: division by zero")
			}
			return (x.d % y.d).String(), nil
		}
		return nil, mismatch
	}
	return nil, fmt.Errorf("%s: not an arithmetic function", fn)
}

// scaleQuantity multiplies a quantity by a factor, keeping its format.
func scaleQuantity(q resource.Quantity, f float64) string {
	v := q.AsApproximateFloat64() * f
	if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
		return resource.NewQuantity(int64(v), q.Format).String()
	}
	return resource.NewMilliQuantity(int64(math.Round(v*1000)), q.Format).String()
}
