//! Reads the weights of a quantised BERT exported to ONNX (Rampart's `model_q4.onnx`) into
//! named f32 tensors that candle's `bert` module loads: `MatMulNBits` 4-bit blocks (ONNX
//! Runtime's contrib op) and per-tensor `DequantizeLinear` embeddings are dequantised here, at
//! load, so no ONNX runtime is needed. Only the messages and fields weights live in are
//! declared (prost skips the rest); the graph itself is not executed, the architecture is
//! candle's BERT, and names map as the exporter wrote them (`/bert/encoder/layer.0/attention/
//! self/query/MatMul_Q4` is `bert.encoder.layer.0.attention.self.query.weight`).

use crate::error::{decode, err};
use exllm::{ErrorKind, Result};
use std::collections::HashMap;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ModelProto {
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub op_type: String,
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct AttributeProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int64, tag = "3")]
    pub i: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(string, tag = "8")]
    pub name: String,
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
}

const FLOAT: i32 = 1;
const UINT8: i32 = 2;
const INT8: i32 = 3;

/// A dequantised weight: its shape and values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weight {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

fn bad(what: impl std::fmt::Display) -> exllm::Error {
    err(ErrorKind::Decode, format!("ONNX model: {what}"))
}

impl TensorProto {
    fn shape(&self) -> Result<Vec<usize>> {
        self.dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| bad(format!("{}: dimension {d}", self.name))))
            .collect()
    }

    fn len(&self) -> Result<usize> {
        self.shape()?
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(format!("{}: too large", self.name)))
    }

    fn floats(&self) -> Result<Vec<f32>> {
        if self.data_type != FLOAT {
            return Err(bad(format!("{}: expected floats", self.name)));
        }
        let out: Vec<f32> = if self.raw_data.is_empty() {
            self.float_data.clone()
        } else {
            self.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        self.check_len(out.len())?;
        Ok(out)
    }

    /// Bytes of a `uint8` / `int8` tensor, as integers.
    fn ints8(&self) -> Result<Vec<i32>> {
        let out: Vec<i32> = match (self.data_type, self.raw_data.is_empty()) {
            (UINT8, false) => self.raw_data.iter().map(|&b| i32::from(b)).collect(),
            (INT8, false) => self.raw_data.iter().map(|&b| i32::from(b as i8)).collect(),
            (UINT8 | INT8, true) => self.int32_data.clone(),
            _ => return Err(bad(format!("{}: expected 8-bit integers", self.name))),
        };
        self.check_len(out.len())?;
        Ok(out)
    }

    fn check_len(&self, got: usize) -> Result<()> {
        let want = self.len()?;
        if got != want {
            return Err(bad(format!("{}: {got} values for {want}", self.name)));
        }
        Ok(())
    }
}

/// Every weight of the model by its PyTorch name, dequantised to f32.
pub(crate) fn read_weights(bytes: &[u8]) -> Result<HashMap<String, Weight>> {
    let model: ModelProto =
        prost::Message::decode(bytes).map_err(|e| decode("not an ONNX model", e))?;
    let graph = model.graph.ok_or_else(|| bad("no graph"))?;
    let inits: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    // Quantisation parameters are read with the weights they scale, not kept as weights.
    let mut params: std::collections::HashSet<String> = graph
        .node
        .iter()
        .filter(|n| n.op_type == "MatMulNBits")
        .flat_map(|n| n.input.iter().skip(1).cloned())
        .collect();
    let mut out = HashMap::new();
    for t in &graph.initializer {
        if let Some(base) = t.name.strip_suffix("_quantized") {
            let (scale, zero) = (format!("{base}_scale"), format!("{base}_zero_point"));
            let (Some(s), Some(z)) = (inits.get(scale.as_str()), inits.get(zero.as_str())) else {
                return Err(bad(format!("{}: no scale or zero point", t.name)));
            };
            out.insert(base.to_owned(), per_tensor(t, s, z)?);
            params.extend([scale, zero]);
        }
    }
    for t in &graph.initializer {
        if t.data_type == FLOAT && !params.contains(&t.name) {
            let w = Weight {
                shape: t.shape()?,
                data: t.floats()?,
            };
            out.insert(t.name.clone(), w);
        }
    }
    for node in graph.node.iter().filter(|n| n.op_type == "MatMulNBits") {
        let name = weight_name(&node.name)?;
        out.insert(name, matmul_nbits(node, &inits)?);
    }
    Ok(out)
}

/// `/bert/encoder/layer.0/output/dense/MatMul_Q4` → `bert.encoder.layer.0.output.dense.weight`.
fn weight_name(node: &str) -> Result<String> {
    let path = node
        .strip_prefix('/')
        .and_then(|n| n.rsplit_once('/'))
        .map(|(path, _)| path)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad(format!("cannot name the weight of node `{node}`")))?;
    Ok(format!("{}.weight", path.replace('/', ".")))
}

/// `DequantizeLinear` with one scale and zero point: `(q - zero) * scale`.
fn per_tensor(q: &TensorProto, scale: &TensorProto, zero: &TensorProto) -> Result<Weight> {
    let (s, z) = (scale.floats()?, zero.ints8()?);
    let (&[s], &[z]) = (s.as_slice(), z.as_slice()) else {
        return Err(bad(format!("{}: only per-tensor scales are read", q.name)));
    };
    Ok(Weight {
        shape: q.shape()?,
        data: q.ints8()?.into_iter().map(|v| (v - z) as f32 * s).collect(),
    })
}

fn attr(node: &NodeProto, name: &str) -> Result<usize> {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| usize::try_from(a.i).ok())
        .ok_or_else(|| bad(format!("{}: no attribute {name}", node.name)))
}

/// `MatMulNBits` (4 bits): `B` is `[N, blocks, block_size / 2]` bytes, two weights a byte,
/// low nibble first; `scales` is `[N, blocks]`; zero points are 8 unless given (packed two a
/// byte per row). The result is `[N, K]`, PyTorch's `Linear` layout.
fn matmul_nbits(node: &NodeProto, inits: &HashMap<&str, &TensorProto>) -> Result<Weight> {
    let (k, n, bits, block) = (
        attr(node, "K")?,
        attr(node, "N")?,
        attr(node, "bits")?,
        attr(node, "block_size")?,
    );
    if bits != 4 || !block.is_power_of_two() || !(16..=256).contains(&block) {
        return Err(bad(format!(
            "{}: {bits}-bit blocks of {block} are not read (4-bit blocks of 16 to 256 only)",
            node.name
        )));
    }
    if node.input.len() > 4 || node.input.get(4).is_some_and(|s| !s.is_empty()) {
        return Err(bad(format!(
            "{}: group indices or bias are not read",
            node.name
        )));
    }
    let init = |i: usize| {
        node.input
            .get(i)
            .filter(|s| !s.is_empty())
            .and_then(|s| inits.get(s.as_str()).copied())
    };
    let q = init(1).ok_or_else(|| bad(format!("{}: no weights", node.name)))?;
    let scales = init(2).ok_or_else(|| bad(format!("{}: no scales", node.name)))?;
    let blocks = k.div_ceil(block);
    let q = q.ints8()?;
    let scales = scales.floats()?;
    let zeros = init(3).map(TensorProto::ints8).transpose()?;
    let zero_row = blocks.div_ceil(2);
    // Sizes from the file: checked, so a hostile header cannot wrap them into a huge vector
    // (each weight takes half a byte of `q`, so `n * k` is bounded by the file's size).
    let sizes = || -> Option<(usize, usize, usize, usize)> {
        let nb = n.checked_mul(blocks)?;
        Some((
            nb.checked_mul(block / 2)?,
            nb,
            n.checked_mul(zero_row)?,
            n.checked_mul(k)?,
        ))
    };
    let Some((q_len, s_len, z_len, total)) = sizes() else {
        return Err(bad(format!("{}: K={k} N={n} are too large", node.name)));
    };
    if q.len() != q_len
        || scales.len() != s_len
        || zeros.as_ref().is_some_and(|z| z.len() != z_len)
        || total > 2 * q_len
    {
        return Err(bad(format!(
            "{}: sizes do not match K={k} N={n}",
            node.name
        )));
    }
    let mut data = vec![0f32; total];
    for row in 0..n {
        for b in 0..blocks {
            let scale = scales[row * blocks + b];
            let zero = match &zeros {
                Some(z) => (z[row * zero_row + b / 2] >> (4 * (b % 2))) & 0xF,
                None => 8,
            };
            let bytes = &q[(row * blocks + b) * (block / 2)..][..block / 2];
            for (j, &byte) in bytes.iter().enumerate() {
                for (half, v) in [(0, byte & 0xF), (1, (byte >> 4) & 0xF)] {
                    let col = b * block + 2 * j + half;
                    if col < k {
                        data[row * k + col] = (v - zero) as f32 * scale;
                    }
                }
            }
        }
    }
    Ok(Weight {
        shape: vec![n, k],
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn tensor(name: &str, dims: &[i64], data_type: i32, raw: Vec<u8>) -> TensorProto {
        TensorProto {
            dims: dims.to_vec(),
            data_type,
            name: name.into(),
            raw_data: raw,
            ..Default::default()
        }
    }

    fn floats(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|f| f.to_le_bytes()).collect()
    }

    #[test]
    fn dequantises_4_bit_blocks_embeddings_and_keeps_floats() {
        // K = 3 (one block of 16, the rest padding), N = 2.
        let node = NodeProto {
            input: vec!["x".into(), "w_Q4".into(), "w_scales".into()],
            name: "/classifier/MatMul_Q4".into(),
            op_type: "MatMulNBits".into(),
            attribute: [("K", 3), ("N", 2), ("bits", 4), ("block_size", 16)]
                .iter()
                .map(|&(n, i)| AttributeProto { name: n.into(), i })
                .collect(),
        };
        let graph = GraphProto {
            node: vec![node],
            initializer: vec![
                // Row 0: 9, 10 | 7, pad; row 1: 8, 15 | 0, pad.
                tensor("w_Q4", &[2, 1, 8], UINT8, {
                    let mut v = vec![0u8; 16];
                    v[..2].copy_from_slice(&[0xA9, 0x07]);
                    v[8..10].copy_from_slice(&[0xF8, 0x00]);
                    v
                }),
                tensor("w_scales", &[2, 1], FLOAT, floats(&[0.5, 2.0])),
                tensor("classifier.bias", &[2], FLOAT, floats(&[1.0, -1.0])),
                tensor("emb.weight_quantized", &[2, 2], UINT8, vec![10, 12, 8, 0]),
                tensor("emb.weight_scale", &[], FLOAT, floats(&[0.25])),
                tensor("emb.weight_zero_point", &[], UINT8, vec![8]),
            ],
        };
        let bytes = ModelProto { graph: Some(graph) }.encode_to_vec();
        let w = read_weights(&bytes).unwrap();
        assert_eq!(w["classifier.weight"].shape, vec![2, 3]);
        assert_eq!(
            w["classifier.weight"].data,
            vec![0.5, 1.0, -0.5, 0.0, 14.0, -16.0]
        );
        assert_eq!(w["classifier.bias"].data, vec![1.0, -1.0]);
        assert_eq!(w["emb.weight"].data, vec![0.5, 1.0, 0.0, -2.0]);
        assert!(!w.contains_key("w_scales") && !w.contains_key("emb.weight_scale"));
    }

    #[test]
    fn reads_packed_zero_points() {
        // K = 32 in two blocks of 16, N = 1; zero points 3 (block 0) and 10 (block 1), packed
        // in one byte, low nibble first.
        let node = NodeProto {
            input: vec!["x".into(), "w".into(), "s".into(), "z".into()],
            name: "/l/MatMul_Q4".into(),
            op_type: "MatMulNBits".into(),
            attribute: [("K", 32), ("N", 1), ("bits", 4), ("block_size", 16)]
                .iter()
                .map(|&(n, i)| AttributeProto { name: n.into(), i })
                .collect(),
        };
        let mut q = vec![0u8; 16];
        q[0] = 0x43;
        q[8] = 0x0A;
        let graph = GraphProto {
            node: vec![node],
            initializer: vec![
                tensor("w", &[1, 2, 8], UINT8, q),
                tensor("s", &[1, 2], FLOAT, floats(&[2.0, 1.0])),
                tensor("z", &[1, 1], UINT8, vec![0xA3]),
            ],
        };
        let w = read_weights(&ModelProto { graph: Some(graph) }.encode_to_vec()).unwrap();
        let d = &w["l.weight"].data;
        assert_eq!(d.len(), 32);
        assert_eq!(&d[..3], &[0.0, 2.0, -6.0]);
        assert_eq!(&d[16..18], &[0.0, -10.0]);
    }

    #[test]
    fn a_hostile_header_is_an_error_not_an_allocation() {
        let node = NodeProto {
            input: vec!["x".into(), "w".into(), "s".into()],
            name: "/l/MatMul_Q4".into(),
            op_type: "MatMulNBits".into(),
            attribute: [
                ("K", 1 << 40),
                ("N", 1 << 40),
                ("bits", 4),
                ("block_size", 32),
            ]
            .iter()
            .map(|&(n, i)| AttributeProto { name: n.into(), i })
            .collect(),
        };
        let graph = GraphProto {
            node: vec![node],
            initializer: vec![
                tensor("w", &[0], UINT8, vec![]),
                tensor("s", &[0], FLOAT, vec![]),
            ],
        };
        let e = read_weights(&ModelProto { graph: Some(graph) }.encode_to_vec()).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(read_weights(b"\xff\xff not protobuf").is_err());
        let graph = GraphProto {
            initializer: vec![tensor("a", &[3], FLOAT, floats(&[1.0]))],
            ..Default::default()
        };
        let e = read_weights(&ModelProto { graph: Some(graph) }.encode_to_vec()).unwrap_err();
        assert!(e.to_string().contains("1 values for 3"), "{e}");
        assert!(weight_name("MatMul_Q4").is_err());
        assert_eq!(
            weight_name("/bert/encoder/layer.3/output/dense/MatMul_Q4").unwrap(),
            "bert.encoder.layer.3.output.dense.weight"
        );
    }
}
