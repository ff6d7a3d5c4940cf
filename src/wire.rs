//! FloatVector values on the wire as one block of bytes.
//!
//! A protobuf `repeated float` is packed: one length, then the values as little-endian f32.
//! Prost reads and writes those values one at a time. For a query reply with 16,384 rows of 768
//! dims, or an insert batch of 5,000 rows, that per-value loop is a large part of the client's
//! cost. The wrappers here encode and decode exactly the same bytes with one `memcpy`. Every
//! other field is handed to the generated `milvus::proto` code.
//! - [`WriteRequest`] encodes an `InsertRequest` or `UpsertRequest`, whose FloatVector columns
//!   are [`Bytes`] (shared, so a retry does not copy them).
//! - [`QueryReply`] decodes a `QueryResults`, whose FloatVector columns are filled in one copy.
//!   It also accepts values that were written unpacked, which the protobuf spec allows.

use bytes::{Buf, BufMut, Bytes};
use prost::encoding::{self, DecodeContext, WireType};
use prost::{DecodeError, Message};

use crate::proto::milvus::QueryResults;
use crate::proto::schema::{field_data, vector_field, FieldData, FloatArray, VectorField};

/// `FieldData.vectors`, `VectorField.dim`, `VectorField.float_vector` and `FloatArray.data`.
const FIELD_VECTORS: u32 = 4;
const VECTOR_DIM: u32 = 1;
const VECTOR_FLOATS: u32 = 2;
const FLOATS_DATA: u32 = 1;
/// `InsertRequest.fields_data` and `UpsertRequest.fields_data`.
const WRITE_FIELDS: u32 = 5;
/// `QueryResults.fields_data`.
const QUERY_FIELDS: u32 = 2;

/// f32 values as their little-endian bytes, without a copy on little-endian machines.
pub fn f32_bytes(values: Vec<f32>) -> Bytes {
    #[cfg(target_endian = "little")]
    {
        struct Floats(Vec<f32>);
        impl AsRef<[u8]> for Floats {
            fn as_ref(&self) -> &[u8] {
                // SAFETY: any f32 is 4 initialised bytes, and u8 has no alignment.
                unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast(), self.0.len() * 4) }
            }
        }
        Bytes::from_owner(Floats(values))
    }
    #[cfg(target_endian = "big")]
    {
        values
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<u8>>()
            .into()
    }
}

/// One column of a write: the generated `FieldData`, or, for a FloatVector column, its head
/// (name, type, id; no `field`) plus the dimension and the values as bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteField {
    Field(FieldData),
    Floats {
        head: FieldData,
        dim: i64,
        bytes: Bytes,
    },
}

impl WriteField {
    /// A FloatVector column as bytes; any other column as it is.
    pub fn from_field(mut field: FieldData) -> WriteField {
        match field.field.take() {
            Some(field_data::Field::Vectors(VectorField {
                dim,
                data: Some(vector_field::Data::FloatVector(FloatArray { data })),
                valid_data,
            })) if valid_data.is_empty() => WriteField::Floats {
                head: field,
                dim,
                bytes: f32_bytes(data),
            },
            other => {
                field.field = other;
                WriteField::Field(field)
            }
        }
    }

    /// `FloatArray { data }`: the packed values, when there are any.
    fn floats_len(bytes: &Bytes) -> usize {
        if bytes.is_empty() {
            0
        } else {
            encoding::key_len(FLOATS_DATA)
                + encoding::encoded_len_varint(bytes.len() as u64)
                + bytes.len()
        }
    }

    /// `VectorField { dim, float_vector }`.
    fn vectors_len(dim: i64, bytes: &Bytes) -> usize {
        let floats = Self::floats_len(bytes);
        let dim_len = if dim == 0 {
            0
        } else {
            encoding::key_len(VECTOR_DIM) + encoding::encoded_len_varint(dim as u64)
        };
        dim_len
            + encoding::key_len(VECTOR_FLOATS)
            + encoding::encoded_len_varint(floats as u64)
            + floats
    }
}

impl Message for WriteField {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        match self {
            WriteField::Field(field) => field.encode_raw(buf),
            WriteField::Floats { head, dim, bytes } => {
                head.encode_raw(buf);
                encoding::encode_key(FIELD_VECTORS, WireType::LengthDelimited, buf);
                encoding::encode_varint(Self::vectors_len(*dim, bytes) as u64, buf);
                if *dim != 0 {
                    encoding::int64::encode(VECTOR_DIM, dim, buf);
                }
                encoding::encode_key(VECTOR_FLOATS, WireType::LengthDelimited, buf);
                encoding::encode_varint(Self::floats_len(bytes) as u64, buf);
                if !bytes.is_empty() {
                    encoding::encode_key(FLOATS_DATA, WireType::LengthDelimited, buf);
                    encoding::encode_varint(bytes.len() as u64, buf);
                    buf.put_slice(bytes);
                }
            }
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        match self {
            WriteField::Field(field) => field.encoded_len(),
            WriteField::Floats { head, dim, bytes } => {
                let vectors = Self::vectors_len(*dim, bytes);
                head.encoded_len()
                    + encoding::key_len(FIELD_VECTORS)
                    + encoding::encoded_len_varint(vectors as u64)
                    + vectors
            }
        }
    }

    fn clear(&mut self) {
        *self = WriteField::Field(FieldData::default());
    }
}

impl Default for WriteField {
    fn default() -> Self {
        WriteField::Field(FieldData::default())
    }
}

/// An `InsertRequest` or `UpsertRequest` (`head`, with no `fields_data`) and its columns.
#[derive(Debug, Default, Clone)]
pub struct WriteRequest<M> {
    pub head: M,
    pub fields: Vec<WriteField>,
}

impl<M: Message> Message for WriteRequest<M> {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        self.head.encode_raw(buf);
        for field in &self.fields {
            encoding::message::encode(WRITE_FIELDS, field, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.head.encoded_len()
            + encoding::message::encoded_len_repeated(WRITE_FIELDS, &self.fields)
    }

    fn clear(&mut self) {
        self.head.clear();
        self.fields.clear();
    }
}

/// The `Message` methods of a decoding wrapper that its wrapped message answers itself: only
/// `merge_field` differs.
macro_rules! delegate_to_wrapped {
    () => {
        fn encode_raw(&self, buf: &mut impl BufMut) {
            self.0.encode_raw(buf)
        }

        fn encoded_len(&self) -> usize {
            self.0.encoded_len()
        }

        fn clear(&mut self) {
            self.0.clear()
        }
    };
}

/// A `QueryResults` whose FloatVector columns are decoded in one copy each.
#[derive(Debug, Default)]
pub struct QueryReply(pub QueryResults);

impl Message for QueryReply {
    delegate_to_wrapped!();

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != QUERY_FIELDS {
            return self.0.merge_field(tag, wire_type, buf, ctx);
        }
        let mut field = ReadField(FieldData::default());
        encoding::message::merge(wire_type, &mut field, buf, ctx)?;
        self.0.fields_data.push(field.0);
        Ok(())
    }
}

/// `FieldData`, decoding `vectors` through [`ReadVectors`].
#[derive(Debug, Default)]
struct ReadField(FieldData);

impl Message for ReadField {
    delegate_to_wrapped!();

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != FIELD_VECTORS {
            return self.0.merge_field(tag, wire_type, buf, ctx);
        }
        // A repeated occurrence of a message field merges into the earlier one.
        let mut vectors = match self.0.field.take() {
            Some(field_data::Field::Vectors(v)) => ReadVectors(v),
            _ => ReadVectors(VectorField::default()),
        };
        encoding::message::merge(wire_type, &mut vectors, buf, ctx)?;
        self.0.field = Some(field_data::Field::Vectors(vectors.0));
        Ok(())
    }
}

/// `VectorField`, decoding `float_vector` through [`ReadFloats`].
#[derive(Debug, Default)]
struct ReadVectors(VectorField);

impl Message for ReadVectors {
    delegate_to_wrapped!();

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != VECTOR_FLOATS {
            return self.0.merge_field(tag, wire_type, buf, ctx);
        }
        let mut floats = match self.0.data.take() {
            Some(vector_field::Data::FloatVector(FloatArray { data })) => ReadFloats(data),
            _ => ReadFloats(Vec::new()),
        };
        encoding::message::merge(wire_type, &mut floats, buf, ctx)?;
        self.0.data = Some(vector_field::Data::FloatVector(FloatArray {
            data: floats.0,
        }));
        Ok(())
    }
}

/// `FloatArray.data`: packed values in one copy, unpacked ones one by one.
#[derive(Debug, Default)]
struct ReadFloats(Vec<f32>);

impl Message for ReadFloats {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        FloatArray {
            data: self.0.clone(),
        }
        .encode_raw(buf)
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match (tag, wire_type) {
            (FLOATS_DATA, WireType::LengthDelimited) => {
                let len = encoding::decode_varint(buf)?;
                if len > buf.remaining() as u64 || len % 4 != 0 {
                    return Err(DecodeError::new("a packed float array of a bad length"));
                }
                append_le_f32(&mut self.0, buf, len as usize);
                Ok(())
            }
            (FLOATS_DATA, WireType::ThirtyTwoBit) => {
                if buf.remaining() < 4 {
                    return Err(DecodeError::new("buffer underflow"));
                }
                self.0.push(buf.get_f32_le());
                Ok(())
            }
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        encoding::float::encoded_len_packed(FLOATS_DATA, &self.0)
    }

    fn clear(&mut self) {
        self.0.clear()
    }
}

/// Appends `len` bytes of little-endian f32 values from `buf` (which holds at least that many).
fn append_le_f32(values: &mut Vec<f32>, buf: &mut impl Buf, len: usize) {
    let count = len / 4;
    values.reserve(count);
    let start = values.len();
    let mut left = len;
    // SAFETY: the destination is reserved capacity, written once before `set_len`; every byte
    // pattern is a valid f32.
    unsafe {
        let mut dst = values.as_mut_ptr().add(start).cast::<u8>();
        while left > 0 {
            let chunk = buf.chunk();
            let n = chunk.len().min(left);
            std::ptr::copy_nonoverlapping(chunk.as_ptr(), dst, n);
            buf.advance(n);
            dst = dst.add(n);
            left -= n;
        }
        values.set_len(start + count);
    }
    #[cfg(target_endian = "big")]
    for x in &mut values[start..] {
        *x = f32::from_bits(x.to_bits().swap_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::milvus::InsertRequest;
    use crate::proto::schema::{scalar_field, DataType, LongArray, ScalarField};

    fn columns(values: Vec<f32>, dim: i64) -> Vec<FieldData> {
        vec![
            FieldData {
                r#type: DataType::Int64 as i32,
                field_name: "id".into(),
                field: Some(field_data::Field::Scalars(ScalarField {
                    data: Some(scalar_field::Data::LongData(LongArray { data: vec![1, 2] })),
                    ..Default::default()
                })),
                ..Default::default()
            },
            FieldData {
                r#type: DataType::FloatVector as i32,
                field_name: "v".into(),
                field_id: 101,
                field: Some(field_data::Field::Vectors(VectorField {
                    dim,
                    data: Some(vector_field::Data::FloatVector(FloatArray { data: values })),
                    ..Default::default()
                })),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn writes_encode_what_prost_decodes() {
        for (values, dim) in [
            (vec![0.5, -1.25, f32::MIN_POSITIVE, 3.0e38, -0.0, 7.0], 3),
            (vec![], 0),
            (vec![1.0; 300], 150),
        ] {
            let fields = columns(values, dim);
            let plain = InsertRequest {
                collection_name: "c".into(),
                num_rows: 2,
                fields_data: fields.clone(),
                ..Default::default()
            };
            let wired = WriteRequest {
                head: InsertRequest {
                    collection_name: "c".into(),
                    num_rows: 2,
                    ..Default::default()
                },
                fields: fields.into_iter().map(WriteField::from_field).collect(),
            };
            assert!(matches!(wired.fields[1], WriteField::Floats { .. }));
            // The same fields, though not in tag order (which protobuf does not require).
            let bytes = wired.encode_to_vec();
            assert_eq!(bytes.len(), wired.encoded_len());
            assert_eq!(bytes.len(), plain.encoded_len());
            assert_eq!(InsertRequest::decode(bytes.as_slice()).unwrap(), plain);
        }
    }

    #[test]
    fn query_replies_decode_exactly_like_prost() {
        let values: Vec<f32> = (0..2 * 5).map(|i| i as f32 * 0.37 - 1.0).collect();
        let plain = QueryResults {
            collection_name: "c".into(),
            fields_data: columns(values, 5),
            output_fields: vec!["id".into(), "v".into()],
            ..Default::default()
        };
        let bytes = plain.encode_to_vec();
        let fast = QueryReply::decode(bytes.as_slice()).unwrap();
        assert_eq!(fast.0, plain);
        // Split across buffer chunks, as a network read may be.
        let (a, b) = bytes.split_at(bytes.len() / 2);
        let fast = QueryReply::decode(a.chain(b)).unwrap();
        assert_eq!(fast.0, plain);
    }

    #[test]
    fn unpacked_floats_decode_too() {
        // FloatArray { data: [1.5, -2.0] } written unpacked: key (1, fixed32) per value.
        let mut floats = Vec::new();
        for x in [1.5f32, -2.0] {
            encoding::encode_key(FLOATS_DATA, WireType::ThirtyTwoBit, &mut floats);
            floats.put_f32_le(x);
        }
        let mut vectors = Vec::new();
        encoding::int64::encode(VECTOR_DIM, &2, &mut vectors);
        encoding::bytes::encode(VECTOR_FLOATS, &floats, &mut vectors);
        let mut field = Vec::new();
        encoding::bytes::encode(FIELD_VECTORS, &vectors, &mut field);
        let mut reply = Vec::new();
        encoding::bytes::encode(QUERY_FIELDS, &field, &mut reply);
        let fast = QueryReply::decode(reply.as_slice()).unwrap();
        let plain = QueryResults::decode(reply.as_slice()).unwrap();
        assert_eq!(fast.0, plain);
        match &fast.0.fields_data[0].field {
            Some(field_data::Field::Vectors(v)) => assert_eq!(
                v.data,
                Some(vector_field::Data::FloatVector(FloatArray {
                    data: vec![1.5, -2.0]
                }))
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_floats_are_an_error_not_a_panic() {
        let plain = QueryResults {
            fields_data: columns(vec![1.0; 10], 5),
            ..Default::default()
        };
        let bytes = plain.encode_to_vec();
        for cut in 1..bytes.len() {
            let _ = QueryReply::decode(&bytes[..cut]);
        }
    }
}
