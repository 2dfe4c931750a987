//! A forust `Tree` made from our own node arrays. forust's `Node` type is private to its
//! crate, so a tree can only come from its serde form. This feeds that form straight from
//! memory, as serde's sequence form of each node (its fields in declaration order), with
//! no text in between: through JSON a 5 MB symmetric model took 2.1 s to load, most of it
//! writing and parsing field names.

use std::marker::PhantomData;

use forust_ml::tree::Tree as ForustTree;
use serde::de::value::SeqDeserializer;
use serde::de::{self, Deserialize, IntoDeserializer, Visitor};

/// One field of forust's `Node`, as serde reads it: `usize` fields from an unsigned
/// integer, `f32` and `f64` fields from an `f64` (an `f32` read back from its `f64` is the
/// same number), `is_leaf` from a bool.
#[derive(Clone, Copy)]
pub(super) enum Field {
    U(u64),
    F(f64),
    B(bool),
}

pub(super) struct FieldDeserializer<E>(Field, PhantomData<E>);

impl<'de, E: de::Error> de::Deserializer<'de> for FieldDeserializer<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Field::U(v) => visitor.visit_u64(v),
            Field::F(v) => visitor.visit_f64(v),
            Field::B(v) => visitor.visit_bool(v),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, E: de::Error> IntoDeserializer<'de, E> for Field {
    type Deserializer = FieldDeserializer<E>;

    fn into_deserializer(self) -> FieldDeserializer<E> {
        FieldDeserializer(self, PhantomData)
    }
}

/// A node's fields, in the order forust's `Node` declares them.
pub(super) struct NodeFields([Field; 11]);

impl NodeFields {
    /// `children` is `[left, right, missing]`.
    pub(super) fn new(
        num: usize,
        leaf: bool,
        weight_value: f32,
        hessian_sum: f32,
        split: (f64, usize),
        children: [usize; 3],
    ) -> NodeFields {
        let u = |v: usize| Field::U(v as u64);
        let [left, right, missing] = children;
        NodeFields([
            u(num),
            Field::F(weight_value as f64),
            Field::F(hessian_sum as f64),
            u(0), // depth: not used to predict or explain
            Field::F(split.0),
            u(split.1),
            Field::F(0.0), // split_gain
            u(missing),
            u(left),
            u(right),
            Field::B(leaf),
        ])
    }
}

impl<'de, E: de::Error> IntoDeserializer<'de, E> for NodeFields {
    type Deserializer = SeqDeserializer<std::array::IntoIter<Field, 11>, E>;

    fn into_deserializer(self) -> Self::Deserializer {
        SeqDeserializer::new(self.0.into_iter())
    }
}

/// The forust tree of these nodes.
pub(super) fn forust_tree<E: de::Error>(nodes: Vec<NodeFields>) -> Result<ForustTree, E> {
    // `Tree { nodes }` in its sequence form: one element, the nodes.
    let tree = SeqDeserializer::<_, E>::new(std::iter::once(nodes));
    ForustTree::deserialize(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_reads_back_every_field() {
        let nodes = vec![
            NodeFields::new(0, false, 0.0, 3.5, (0.25, 2), [1, 2, 1]),
            NodeFields::new(1, true, -0.125, 1.5, (0.0, 0), [0, 0, 0]),
            NodeFields::new(2, true, 0.75, 2.0, (0.0, 0), [0, 0, 0]),
        ];
        let tree = forust_tree::<serde::de::value::Error>(nodes).unwrap();
        let v = serde_json::to_value(&tree).unwrap();
        let root = &v["nodes"][0];
        assert_eq!(root["split_value"], 0.25);
        assert_eq!(root["split_feature"], 2);
        assert_eq!(root["hessian_sum"], 3.5);
        assert_eq!(root["left_child"], 1);
        assert_eq!(root["right_child"], 2);
        assert_eq!(root["missing_node"], 1);
        assert_eq!(root["is_leaf"], false);
        assert_eq!(v["nodes"][1]["weight_value"], -0.125);
        assert_eq!(v["nodes"][2]["is_leaf"], true);
        assert_eq!(v["nodes"][2]["num"], 2);
    }
}
