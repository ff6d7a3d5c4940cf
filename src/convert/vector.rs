//! Encodings of the vector types Milvus stores as bytes: binary, float16, bfloat16, int8 and
//! sparse float vectors, shared by writes, search requests and reads.

use half::{bf16, f16};
use std::borrow::Cow;

use crate::request::describe;
use crate::value::Value;

/// Why a vector value was refused; the caller adds the row and field.
pub type Expected = String;

/// Reads a dense vector of `dim` numbers from a typed array or a `number[]`.
pub fn floats<'a>(value: &'a Value, dim: usize, what: &str) -> Result<Cow<'a, [f32]>, Expected> {
    let out: Cow<[f32]> = match value {
        Value::Float32Array(v) => Cow::Borrowed(v),
        Value::Float64Array(v) | Value::Numbers(v) => v.iter().map(|x| *x as f32).collect(),
        Value::Int8Array(v) => v.iter().map(|x| *x as f32).collect(),
        Value::Array(items) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) => Ok(*n as f32),
                other => Err(format!(
                    "a {what} of {dim} numbers, got {} in it",
                    describe(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a {what} of {dim} numbers (Float32Array or number[]), got {}",
                describe(other)
            ))
        }
    };
    if out.len() != dim {
        return Err(format!(
            "a {what} of {dim} numbers (Float32Array or number[]), got {} values",
            out.len()
        ));
    }
    if let Some(i) = out.iter().position(|x| !x.is_finite()) {
        return Err(format!(
            "finite numbers in a {what}, got {} at index {i}",
            out[i]
        ));
    }
    Ok(out)
}

/// A binary vector of `dim` bits: `dim / 8` bytes as a `Buffer`/`Uint8Array` or numbers 0–255.
pub fn binary(value: &Value, dim: usize) -> Result<Vec<u8>, Expected> {
    let bytes = dim / 8;
    let out: Vec<u8> = match (value, value.items()) {
        (Value::Bytes(b), _) => b.clone(),
        (_, Some(items)) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) if n.fract() == 0.0 && (0.0..=255.0).contains(n) => Ok(*n as u8),
                other => Err(format!(
                    "bytes 0 to 255 in a BinaryVector, got {}",
                    describe(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        (other, None) => {
            return Err(format!(
                "a BinaryVector of {bytes} bytes (dim / 8) as a Buffer or number[], got {}",
                describe(other)
            ))
        }
    };
    if out.len() != bytes {
        return Err(format!(
            "a BinaryVector of {bytes} bytes (dim {dim} / 8), got {} bytes",
            out.len()
        ));
    }
    Ok(out)
}

/// Float16 or BFloat16 vector bytes (little-endian): raw bytes (`2 * dim`) are taken as they
/// are; numbers are rounded to nearest even, and values that would overflow are refused.
pub fn half_bytes(value: &Value, dim: usize, bfloat: bool) -> Result<Vec<u8>, Expected> {
    let what = if bfloat {
        "BFloat16Vector"
    } else {
        "Float16Vector"
    };
    if let Value::Bytes(b) = value {
        if b.len() != dim * 2 {
            return Err(format!(
                "a {what} of {} bytes (2 per value), got {} bytes",
                dim * 2,
                b.len()
            ));
        }
        return Ok(b.clone());
    }
    // Rounded from the numbers as given: going through f32 first would round twice.
    let values: Vec<f64> = match value {
        Value::Float32Array(v) => v.iter().map(|x| f64::from(*x)).collect(),
        Value::Float64Array(v) | Value::Numbers(v) => v.clone(),
        Value::Int8Array(v) => v.iter().map(|x| f64::from(*x)).collect(),
        Value::Array(items) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) => Ok(*n),
                other => Err(format!(
                    "a {what} of {dim} numbers, got {} in it",
                    describe(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a {what} of {dim} numbers (Float32Array or number[]) or {} bytes, got {}",
                dim * 2,
                describe(other)
            ))
        }
    };
    if values.len() != dim {
        return Err(format!(
            "a {what} of {dim} numbers (Float32Array or number[]), got {} values",
            values.len()
        ));
    }
    let format = if bfloat { BFLOAT16 } else { FLOAT16 };
    let mut out = Vec::with_capacity(dim * 2);
    for (i, x) in values.iter().enumerate() {
        let bits = format.round(*x);
        if !format.is_finite(bits) {
            return Err(format!(
                "values within the {what} range, got {x} at index {i}"
            ));
        }
        out.extend_from_slice(&bits.to_le_bytes());
    }
    Ok(out)
}

/// A 16-bit binary floating-point format: float16 (5 exponent bits) or bfloat16 (8).
#[derive(Clone, Copy)]
struct HalfFormat {
    exponent_bits: i32,
    mantissa_bits: i32,
}

const FLOAT16: HalfFormat = HalfFormat {
    exponent_bits: 5,
    mantissa_bits: 10,
};
const BFLOAT16: HalfFormat = HalfFormat {
    exponent_bits: 8,
    mantissa_bits: 7,
};

impl HalfFormat {
    fn infinity(self) -> u16 {
        (((1 << self.exponent_bits) - 1) << self.mantissa_bits) as u16
    }

    fn is_finite(self, bits: u16) -> bool {
        bits & 0x7fff < self.infinity()
    }

    /// `x` rounded to nearest, ties to even, in one step from the f64; subnormals included,
    /// too large values become infinity.
    fn round(self, x: f64) -> u16 {
        let bits = x.to_bits();
        let sign = ((bits >> 48) & 0x8000) as u16;
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        if biased == 0x7ff {
            let nan = if fraction != 0 {
                1 << (self.mantissa_bits - 1)
            } else {
                0
            };
            return sign | self.infinity() | nan;
        }
        if biased == 0 {
            // f64 subnormals are far below half the smallest subnormal of either format.
            return sign;
        }
        let e = biased - 1023;
        let bias = (1 << (self.exponent_bits - 1)) - 1;
        let (e_min, e_max) = (1 - bias, bias);
        if e > e_max {
            return sign | self.infinity();
        }
        // The value is significand * 2^(e - 52); count it in units of the target's last place.
        let significand = (1u64 << 52) | fraction;
        let shift = (52 - self.mantissa_bits + (e.max(e_min) - e)) as u32;
        if shift >= 64 {
            return sign;
        }
        let mut units = significand >> shift;
        let rest = significand & ((1u64 << shift) - 1);
        let half = 1u64 << (shift - 1);
        if rest > half || (rest == half && units & 1 == 1) {
            units += 1;
        }
        // Below the normal range the units are the bits; a carry into the next binade (or to
        // infinity) lands in the exponent by itself.
        let magnitude = if e < e_min {
            units
        } else {
            (((e - e_min) as u64) << self.mantissa_bits) + units
        };
        sign | magnitude as u16
    }
}

/// Decodes float16 or bfloat16 bytes into numbers.
pub fn half_to_f32(bytes: &[u8], bfloat: bool) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|c| {
            let raw = [c[0], c[1]];
            if bfloat {
                bf16::from_le_bytes(raw).to_f32()
            } else {
                f16::from_le_bytes(raw).to_f32()
            }
        })
        .collect()
}

/// An Int8Vector: an `Int8Array`, or integers from -128 to 127 (never rounded).
pub fn int8(value: &Value, dim: usize) -> Result<Vec<u8>, Expected> {
    let out: Vec<u8> = match (value, value.items()) {
        (Value::Int8Array(v), _) => v.iter().map(|x| *x as u8).collect(),
        (_, Some(items)) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) if n.fract() == 0.0 && (-128.0..=127.0).contains(n) => {
                    Ok(*n as i8 as u8)
                }
                other => Err(format!(
                    "integers from -128 to 127 in an Int8Vector, got {}",
                    describe(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        (other, None) => {
            return Err(format!(
                "an Int8Vector of {dim} values (Int8Array or number[]), got {}",
                describe(other)
            ))
        }
    };
    if out.len() != dim {
        return Err(format!("an Int8Vector of {dim} values, got {}", out.len()));
    }
    Ok(out)
}

/// A sparse vector as Milvus encodes it: (u32 index, f32 value) pairs, little-endian, sorted
/// by index. Accepts `{ index: value }`, `{ indices, values }`, `[{ index, value }]` and
/// arrays with gaps (`[, 0.5, , 0.3]`). Returns the bytes and the largest index.
pub fn sparse(value: &Value) -> Result<(Vec<u8>, Option<u32>), Expected> {
    let mut pairs: Vec<(u32, f32)> = Vec::new();
    let index = |v: &Value| -> Result<u32, Expected> {
        let n = match v {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::BigInt(b) => Some(*b as f64),
            _ => None,
        };
        match n {
            Some(n) if n.fract() == 0.0 && (0.0..4_294_967_295.0).contains(&n) => Ok(n as u32),
            _ => Err(format!(
                "sparse indices from 0 to 2^32-2, got {}",
                describe(v)
            )),
        }
    };
    let number = |v: &Value| -> Result<f32, Expected> {
        match v {
            Value::Number(n) if n.is_finite() => Ok(*n as f32),
            other => Err(format!("finite sparse values, got {}", describe(other))),
        }
    };
    match value {
        Value::Object(props) if value.get("indices").is_some() && value.get("values").is_some() => {
            let list = |v: Option<&Value>| -> Vec<Value> {
                match v {
                    Some(Value::Array(items)) => items.clone(),
                    Some(Value::Float32Array(f)) => f.iter().map(|x| Value::Number(*x as f64)).collect(),
                    Some(Value::Float64Array(f) | Value::Numbers(f)) => f.iter().map(|x| Value::Number(*x)).collect(),
                    _ => Vec::new(),
                }
            };
            let (indices, values) = (list(value.get("indices")), list(value.get("values")));
            if indices.len() != values.len() || props.len() != 2 {
                return Err(format!(
                    "a CSR sparse vector {{ indices, values }} of equal lengths, got {} indices and {} values",
                    indices.len(),
                    values.len()
                ));
            }
            for (i, v) in indices.iter().zip(&values) {
                pairs.push((index(i)?, number(v)?));
            }
        }
        Value::Object(props) => {
            for (k, v) in props {
                pairs.push((index(&Value::String(k.clone()))?, number(v)?));
            }
        }
        Value::Array(items) if items.iter().all(|x| matches!(x, Value::Object(_))) && !items.is_empty() => {
            for item in items {
                match (item.get("index"), item.get("value")) {
                    (Some(i), Some(v)) => pairs.push((index(i)?, number(v)?)),
                    _ => return Err("COO sparse entries { index, value }".into()),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if !v.is_nullish() {
                    pairs.push((i as u32, number(v)?));
                }
            }
        }
        // A dense array: every element is an entry, zeros included (as with `number[]`).
        Value::Float32Array(_) | Value::Float64Array(_) | Value::Numbers(_) => {
            for (i, v) in value.items().unwrap_or_default().iter().enumerate() {
                pairs.push((i as u32, number(v)?));
            }
        }
        other => {
            return Err(format!(
                "a sparse vector ({{ index: value }}, {{ indices, values }}, [{{ index, value }}] or an array), got {}",
                describe(other)
            ))
        }
    }
    pairs.sort_by_key(|(i, _)| *i);
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "distinct sparse indices, got index {} twice",
            w[0].0
        ));
    }
    let max = pairs.last().map(|(i, _)| *i);
    let mut bytes = Vec::with_capacity(pairs.len() * 8);
    for (i, v) in pairs {
        bytes.extend_from_slice(&i.to_le_bytes());
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    Ok((bytes, max))
}

/// Decodes one sparse row into `(index, value)` pairs.
pub fn sparse_pairs(bytes: &[u8]) -> impl Iterator<Item = (u32, f32)> + '_ {
    bytes.chunks_exact(8).map(|c| {
        (
            u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_rounding_matches_the_half_crate_for_every_f32_pattern_sampled() {
        // half's f32 conversions round once, correctly; ours must agree on f32 inputs.
        let mut bits = 0u32;
        loop {
            let x = f32::from_bits(bits);
            let (ours16, ours_b) = (FLOAT16.round(x.into()), BFLOAT16.round(x.into()));
            if x.is_nan() {
                assert!(f16::from_bits(ours16).is_nan() && bf16::from_bits(ours_b).is_nan());
            } else {
                assert_eq!(ours16, f16::from_f32(x).to_bits(), "float16 of {x:e}");
                assert_eq!(ours_b, bf16::from_f32(x).to_bits(), "bfloat16 of {x:e}");
            }
            match bits.checked_add(997) {
                Some(next) => bits = next,
                None => break,
            }
        }
    }

    #[test]
    fn half_rounding_from_f64_rounds_once() {
        // Just above the float16 midpoint between 1 and 1 + 2^-10: rounds up. Through f32 it
        // would land exactly on the midpoint and round down to 1.
        let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!((x as f32) as f64, 1.0 + 2f64.powi(-11));
        assert_eq!(
            f16::from_bits(FLOAT16.round(x)).to_f64(),
            1.0 + 2f64.powi(-10)
        );
        let y = 1.0 + 2f64.powi(-8) + 2f64.powi(-40);
        assert_eq!(
            bf16::from_bits(BFLOAT16.round(y)).to_f64(),
            1.0 + 2f64.powi(-7)
        );
        // Subnormal results and the carry from the largest finite value into infinity.
        assert_eq!(
            f16::from_bits(FLOAT16.round(2f64.powi(-24))).to_f64(),
            2f64.powi(-24)
        );
        assert_eq!(FLOAT16.round(2f64.powi(-26)), 0);
        assert_eq!(FLOAT16.round(65_519.0), f16::MAX.to_bits());
        assert_eq!(FLOAT16.round(65_520.0), f16::INFINITY.to_bits());
        assert_eq!(FLOAT16.round(-1e300), f16::NEG_INFINITY.to_bits());
    }

    #[test]
    fn float16_rounds_to_nearest_even_and_refuses_overflow() {
        // 1 + 2^-11 lies halfway between 1 and the next float16; ties go to the even one (1).
        let halfway = Value::Array(vec![Value::Number(1.0 + 2f64.powi(-11))]);
        assert_eq!(
            half_bytes(&halfway, 1, false).unwrap(),
            f16::from_f32(1.0).to_le_bytes()
        );
        let big = Value::Array(vec![Value::Number(70_000.0)]);
        assert!(half_bytes(&big, 1, false).is_err());
        // bfloat16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7; ties to even (1).
        let bhalf = Value::Array(vec![Value::Number(1.0 + 2f64.powi(-8))]);
        assert_eq!(
            half_bytes(&bhalf, 1, true).unwrap(),
            bf16::from_f32(1.0).to_le_bytes()
        );
        // Just above halfway rounds up (truncation would not).
        let up = Value::Array(vec![Value::Number(1.0 + 2f64.powi(-8) + 2f64.powi(-12))]);
        assert_eq!(
            half_to_f32(&half_bytes(&up, 1, true).unwrap(), true),
            vec![1.0 + 2f32.powi(-7)]
        );
    }

    #[test]
    fn sparse_forms_encode_alike() {
        let dict = Value::Object(vec![
            ("7".into(), Value::Number(0.5)),
            ("2".into(), Value::Number(1.5)),
        ]);
        let csr = Value::Object(vec![
            (
                "indices".into(),
                Value::Array(vec![Value::Number(2.0), Value::Number(7.0)]),
            ),
            (
                "values".into(),
                Value::Array(vec![Value::Number(1.5), Value::Number(0.5)]),
            ),
        ]);
        let coo = Value::Array(vec![
            Value::Object(vec![
                ("index".into(), Value::Number(7.0)),
                ("value".into(), Value::Number(0.5)),
            ]),
            Value::Object(vec![
                ("index".into(), Value::Number(2.0)),
                ("value".into(), Value::Number(1.5)),
            ]),
        ]);
        let mut gaps = vec![Value::Undefined; 8];
        gaps[2] = Value::Number(1.5);
        gaps[7] = Value::Number(0.5);
        let expected = sparse(&dict).unwrap();
        assert_eq!(expected.1, Some(7));
        assert_eq!(
            sparse_pairs(&expected.0).collect::<Vec<_>>(),
            vec![(2, 1.5), (7, 0.5)]
        );
        for other in [csr, coo, Value::Array(gaps)] {
            assert_eq!(sparse(&other).unwrap(), expected);
        }
        let dup = Value::Array(vec![
            Value::Object(vec![
                ("index".into(), Value::Number(1.0)),
                ("value".into(), Value::Number(1.0)),
            ]),
            Value::Object(vec![
                ("index".into(), Value::Number(1.0)),
                ("value".into(), Value::Number(2.0)),
            ]),
        ]);
        assert!(sparse(&dup).is_err());
    }

    #[test]
    fn int8_refuses_fractions_and_out_of_range() {
        assert_eq!(
            int8(&Value::Int8Array(vec![-1, 2]), 2).unwrap(),
            vec![255, 2]
        );
        assert!(int8(
            &Value::Array(vec![Value::Number(1.5), Value::Number(0.0)]),
            2
        )
        .is_err());
        assert!(int8(
            &Value::Array(vec![Value::Number(128.0), Value::Number(0.0)]),
            2
        )
        .is_err());
    }
}
