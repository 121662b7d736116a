/**
 * A small protobuf writer for the subset of `onnx.proto` (IR v8, proto2 wire format) that ml-core
 * needs to emit models: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto and
 * ValueInfoProto. Field numbers follow https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 *
 * Only the writer lives here; reading models is onnxruntime's job.
 */

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type DataTypeValue = (typeof DataType)[keyof typeof DataType];

export interface TensorInit {
  name: string;
  dataType: DataTypeValue;
  dims: number[];
  /** Little-endian element bytes (e.g. `new Uint8Array(float32Array.buffer)`). */
  raw: Uint8Array;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number };

export interface NodeInit {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfoInit {
  name: string;
  elemType: DataTypeValue;
  /** A number is a fixed dimension, a string a symbolic one (e.g. 'batch'). */
  shape: Array<number | string>;
}

export interface ModelInit {
  graphName: string;
  nodes: NodeInit[];
  initializers: TensorInit[];
  inputs: ValueInfoInit[];
  outputs: ValueInfoInit[];
  opset: number;
  producer?: string;
  docString?: string;
}

/** Wire-level encoder: varints, length-delimited fields, fixed32. */
class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number): void {
    // int64 fields are encoded as unsigned varints of their two's complement; the values here are
    // small non-negative integers (or -1 for dims, which is never needed), so plain division is safe.
    if (value < 0 || !Number.isSafeInteger(value)) throw new RangeError(`unsupported varint ${value}`);
    const out: number[] = [];
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: 0 | 2 | 5): void {
    this.varint(field * 8 + wireType);
  }

  uint(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

const ATTR_TYPE = { float: 1, int: 2, ints: 7 } as const;

function writeTensor(w: Writer, t: TensorInit): void {
  for (const d of t.dims) w.uint(1, d); // dims
  w.uint(2, t.dataType); // data_type
  w.string(8, t.name); // name
  w.bytes(9, t.raw); // raw_data
}

function writeValueInfo(w: Writer, v: ValueInfoInit): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.uint(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.uint(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeNode(w: Writer, n: NodeInit): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, attr] of Object.entries(n.attributes ?? {})) {
    w.message(5, (a) => {
      a.string(1, name);
      if (attr.kind === 'int') a.uint(3, attr.value);
      else if (attr.kind === 'float') a.float(2, attr.value);
      else for (const v of attr.value) a.uint(8, v);
      a.uint(20, ATTR_TYPE[attr.kind]);
    });
  }
}

/** Serialises a model to ONNX protobuf bytes (IR version 8). */
export function encodeModel(model: ModelInit): Uint8Array {
  const w = new Writer();
  w.uint(1, 8); // ir_version
  w.string(2, model.producer ?? '@heed/ml-core'); // producer_name
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => {
    for (const n of model.nodes) g.message(1, (x) => writeNode(x, n));
    g.string(2, model.graphName);
    for (const t of model.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const v of model.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of model.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.uint(2, model.opset);
  });
  return w.finish();
}

/** Little-endian bytes of a Float32Array (copy-free view). */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
