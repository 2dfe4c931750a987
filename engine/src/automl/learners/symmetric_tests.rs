use super::super::booster_format::prediction_trees;
use super::*;
use crate::common::Rng;

#[test]
fn every_tree_is_symmetric_and_the_model_reloads_bit_for_bit() {
    let mut rng = Rng::new(9);
    let n = 600;
    let cols: Vec<Vec<f64>> = (0..3)
        .map(|_| (0..n).map(|_| rng.next_f64() * 4.0).collect())
        .collect();
    let mut y: Vec<f64> = (0..n)
        .map(|i| cols[0][i].sin() * 3.0 + cols[1][i] + 0.1 * rng.next_f64())
        .collect();
    // Missing values that matter: a split sending only them left ("bin 0") is made.
    let mut cols = cols;
    for i in (0..n).step_by(4) {
        cols[1][i] = f64::NAN;
        y[i] += 6.0;
    }
    let x = Matrix::from_columns(n, cols);
    let m = regression(&x, &y, None, &[], 40);
    let booster = m.boosters[0].as_ref().unwrap();
    assert_eq!(booster.trees.len(), 40);
    // Leaves without rows are made here, and stored with a cover TreeSHAP can divide by.
    let nodes: Vec<_> = super::super::booster_format::prediction_trees(booster)
        .iter()
        .flat_map(|t| &t.nodes)
        .collect();
    assert!(nodes.iter().all(|n| n.hessian_sum > 0.0));
    assert!(nodes
        .iter()
        .any(|n| n.is_leaf && f64::from(n.hessian_sum) == EMPTY_COVER));
    let text = serde_json::to_string(&m).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let back: SymmetricModel = serde_json::from_value(v).unwrap();
    assert_eq!(
        format!("{:?}", back.predict(&x)),
        format!("{:?}", m.predict(&x))
    );
    // At most seven inner nodes per tree, the nodes of a level splitting alike; the
    // subtrees without rows are single leaves.
    let stored = super::super::booster_format::prediction_trees(booster);
    for tree in stored {
        assert!(tree.nodes.len() <= 15);
        let mut level_split: Vec<Option<(usize, u64)>> = vec![None; 3];
        let mut stack = vec![(0usize, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            let n = &tree.nodes[i];
            if n.is_leaf {
                continue;
            }
            let split = (n.split_feature, n.split_value.to_bits());
            assert_eq!(*level_split[depth].get_or_insert(split), split);
            stack.extend([(n.left_child, depth + 1), (n.right_child, depth + 1)]);
        }
    }
    assert!(
        stored.iter().any(|t| t.nodes.len() < 15),
        "no subtree without rows was stored as one leaf"
    );
    let only_missing = stored
        .iter()
        .flat_map(|t| &t.nodes)
        .any(|n| !n.is_leaf && n.split_value == f64::MIN);
    assert!(only_missing, "no split sends only the missing values left");
    let imp = m.feature_importance();
    assert!(imp[0] > imp[2] && imp[1] > imp[2], "{imp:?}");
}

#[test]
fn a_stored_tree_predicts_as_its_level_splits_do() {
    // Two columns, a depth-3 tree whose right half has no rows (its four leaves 0:
    // stored as one leaf) and whose third and fourth leaves are equal (one leaf too).
    let mut rng = Rng::new(11);
    let n = 400;
    let cols: Vec<Vec<f64>> = (0..2)
        .map(|_| {
            (0..n)
                .map(|i| {
                    if i % 37 == 0 {
                        f64::NAN
                    } else {
                        (rng.next_f64() * 9.0).round()
                    }
                })
                .collect()
        })
        .collect();
    let x = Matrix::from_columns(n, cols);
    let bins = Binned::of(&x, &[]);
    let tree = Tree {
        splits: vec![(0, 4), (1, 0), (1, 6)],
        sets: vec![None; 3],
        values: vec![0.5, -1.25, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0],
        hessians: vec![4.0, 3.0, 2.0, 5.0, 0.0, 0.0, 0.0, 0.0],
    };
    let (stored, sets) = tree.to_booster_tree(&bins);
    assert!(sets.is_empty());
    let booster = booster_from_trees(0.25, vec![stored]).unwrap();
    let nodes = &super::super::booster_format::prediction_trees(&booster)[0].nodes;
    assert_eq!(
        nodes.len(),
        7,
        "15 nodes less the empty half's 6 and the equal pair's 2"
    );
    assert_eq!(
        nodes[2].hessian_sum,
        4.0 * f32::MIN_POSITIVE,
        "the empty half's cover"
    );
    // forust's own walk, and the flat layout predictions use.
    let forust = booster.predict(&forust_ml::data::Matrix::new(&x.data, n, 2), false);
    let boosters = [Some(booster)];
    let Predictions::Values(flat) =
        predict_boosters(Task::Regression, &boosters, &[], &OnceLock::new(), &x)
    else {
        panic!("regression predicts values")
    };
    for i in 0..n {
        let leaf = tree.splits.iter().fold(0usize, |leaf, &(c, b)| {
            2 * leaf
                + usize::from(super::super::symmetric_bins::code(&bins.borders[c], x.get(i, c)) > b)
        });
        let want = (0.25 + tree.values[leaf]).to_bits();
        assert_eq!(forust[i].to_bits(), want, "row {i}");
        assert_eq!(flat[i].to_bits(), want, "row {i}");
    }
}

/// Codes -1..=11 whose effects follow no order of the codes, plus a numeric column;
/// and validation rows with a code training never saw (12) and missing codes. Shared
/// with the TreeSHAP test (`tree_models.rs`).
pub(crate) fn category_data(n: usize) -> (Matrix, Vec<f64>, Matrix, Vec<f64>) {
    let mut rng = Rng::new(21);
    let effect: Vec<f64> = (0..13).map(|_| rng.next_f64() * 4.0 - 2.0).collect();
    let code: Vec<f64> = (0..n).map(|_| rng.below(13) as f64 - 1.0).collect();
    let num: Vec<f64> = (0..n).map(|_| rng.next_f64() * 2.0 - 1.0).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| effect[(code[i] + 1.0) as usize] + num[i] + 0.1 * rng.next_f64())
        .collect();
    let m = n / 5;
    let mut valid_code = code[..m].to_vec();
    for i in (0..m).step_by(25) {
        valid_code[i] = 12.0;
    }
    for i in (3..m).step_by(31) {
        valid_code[i] = f64::NAN;
    }
    let valid = Matrix::from_columns(m, vec![valid_code, num[..m].to_vec()]);
    let valid_y = y[..m].to_vec();
    (Matrix::from_columns(n, vec![code, num]), y, valid, valid_y)
}

pub(crate) fn fit_categories(categories: &[usize], n: usize) -> SymmetricModel {
    let (x, y, valid, valid_y) = category_data(n);
    regression(&x, &y, Some((&valid, &valid_y)), categories, 60)
}

/// A depth-3 regression booster of `iterations` rounds.
fn regression(
    x: &Matrix,
    y: &[f64],
    eval: Option<(&Matrix, &[f64])>,
    categories: &[usize],
    iterations: usize,
) -> SymmetricModel {
    let params = SymmetricParams {
        iterations,
        depth: 3,
        ..SymmetricParams::default()
    };
    let mut m = SymmetricModel::new(Task::Regression, params);
    m.fit(&TrainData {
        x,
        y,
        weights: &vec![1.0; x.rows],
        eval,
        categories,
        deadline: Default::default(),
        seed: 0,
    })
    .unwrap();
    m
}

#[test]
fn category_columns_split_as_categories_fit_better_and_read_back_alike() {
    let n = 3000;
    let (x, y, valid, _) = category_data(n);
    let (cat, plain) = (fit_categories(&[0], n), fit_categories(&[], n));
    assert!(!cat.category_splits[0].is_empty());
    assert!(plain.category_splits.is_empty());
    // The codes split as categories fit better than as numbers, at the same depth.
    let mse = |m: &SymmetricModel| match m.predict(&x) {
        Predictions::Values(p) => {
            p.iter()
                .zip(&y)
                .map(|(p, y)| (p - y) * (p - y))
                .sum::<f64>()
                / n as f64
        }
        Predictions::Proba { .. } => unreachable!("regression"),
    };
    assert!(
        mse(&cat) < 0.5 * mse(&plain),
        "{} vs {}",
        mse(&cat),
        mse(&plain)
    );
    // Each tree orders the codes its own way: not every tree's sets are prefixes
    // of the codes in one order.
    let sets: std::collections::HashSet<Vec<i64>> = cat.category_splits[0]
        .0
        .iter()
        .map(|s| s.2.codes())
        .collect();
    assert!(sets.len() > 3, "{sets:?}");
    // Codes training never saw (12 and above) go one way at each split, as the tree
    // ranked them; missing values take a child of the split.
    let b = cat.boosters[0].as_ref().unwrap();
    let unseen_ways: std::collections::HashSet<bool> = cat.category_splits[0]
        .0
        .iter()
        .map(|s| {
            let left = s.2.contains(12.0);
            assert!((13..=254).all(|c| s.2.contains(c as f64) == left));
            left
        })
        .collect();
    assert_eq!(
        unseen_ways.len(),
        2,
        "unseen codes went one way in every tree"
    );
    for (t, node, _) in &cat.category_splits[0].0 {
        let n = &prediction_trees(b)[*t as usize].nodes[*node as usize];
        assert!(n.split_value.is_nan());
        assert!([n.left_child, n.right_child].contains(&n.missing_node));
    }
    // The flat layout takes the splits only when they are exactly the NaN-valued ones.
    let mut fewer = cat.category_splits[0].clone();
    fewer.0.pop();
    assert!(FlatBooster::of(b, &cat.category_splits[0]).is_some());
    assert!(FlatBooster::of(b, &fewer).is_none());
    assert!(FlatBooster::of(b, &CategorySplits::default()).is_none());
    // Read back from its file: the same predictions, bit for bit.
    let text = serde_json::to_string(&cat).unwrap();
    let back: SymmetricModel = serde_json::from_str(&text).unwrap();
    let bits = |p: Predictions| format!("{p:?}");
    assert_eq!(bits(back.predict(&valid)), bits(cat.predict(&valid)));
    // A file whose category splits are not the trees' NaN-valued splits is refused.
    let plain_text = serde_json::to_string(&plain).unwrap();
    type Splits = Vec<(u32, u32, CodeSet)>;
    let refused = |text: &str, change: &dyn Fn(&mut Splits), why: &str| {
        let mut bad: SymmetricModel = serde_json::from_str(text).unwrap();
        bad.category_splits.resize(1, CategorySplits::default());
        change(&mut bad.category_splits[0].0);
        let text = serde_json::to_string(&bad).unwrap();
        let err = serde_json::from_str::<SymmetricModel>(&text).unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
    };
    refused(
        &text,
        &|s| s.truncate(s.len() - 1),
        "is not listed as a category split",
    );
    refused(&text, &|s| s.swap(0, 1), "not in tree and node order");
    let far = (10_000, 0, CodeSet::default());
    refused(&text, &|s| s.push(far), "which the booster does not have");
    let root = (0, 0, CodeSet::default());
    refused(
        &plain_text,
        &|s| s.push(root),
        "is not a category split but is listed",
    );
}
