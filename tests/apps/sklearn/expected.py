import numpy as np
from sklearn import (
    datasets,
    decomposition,
    linear_model,
    metrics,
    neighbors,
    preprocessing,
    svm,
    tree,
)
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

x = [[1, 1], [1, 2], [2, 2], [2, 3]]
y = [6, 8, 9, 11]
points = [[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]]
X, Y = make_classification(random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, Y, random_state=0)


def _proba() -> list[object]:
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    return [
        pipe.predict_proba(X_test).tolist(),
        pipe.predict(X_test).tolist(),
        pipe.decision_function(X_test).tolist(),
    ]


xc = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 3.0]]
yc = [0, 1, 0, 1, 1, 1]


CASES = {
    "score": lambda: LinearRegression().fit(x, y).score(x, y),
    "coef": lambda: LinearRegression().fit(x, y).coef_.tolist(),
    "intercept": lambda: LinearRegression().fit(x, y).intercept_,
    "predict": lambda: LinearRegression().fit(x, y).predict([[3, 5]]).tolist(),
    "set_params": lambda: (
        LinearRegression().set_params(fit_intercept=False).get_params()["fit_intercept"]
    ),
    "kmeans_labels": lambda: (
        KMeans(n_clusters=2, random_state=0, n_init="auto").fit(points).labels_.tolist()
    ),
    "scaler": lambda: StandardScaler().fit_transform([[0, 0], [0, 0], [1, 1], [1, 1]]).tolist(),
    "train_test_split": lambda: train_test_split(list(range(10)), test_size=0.5, random_state=42),
    "accuracy": lambda: accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]),
    "pipeline_score": lambda: (
        Pipeline([("scaler", StandardScaler()), ("svc", SVC())])
        .fit(X_train, y_train)
        .score(X_test, y_test)
    ),
    "pipeline_predict_proba": _proba,
    "mean_squared_error": lambda: mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]),
    "r2_score": lambda: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]),
    "confusion_matrix": lambda: confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]).tolist(),
    "load_iris": lambda: load_iris(return_X_y=True)[0].shape,
    "min_max_scaler": lambda: (
        MinMaxScaler().fit_transform([[-1, 2], [-0.5, 6], [0, 10], [1, 18]]).tolist()
    ),
    "cross_val_score": lambda: (
        cross_val_score(
            LogisticRegression(), *make_classification(n_samples=20, random_state=0), cv=2
        ).shape
    ),
    "grid_search": lambda: list(
        GridSearchCV(SVC(), {"C": [1, 10]}, cv=2)
        .fit(*make_classification(n_samples=20, random_state=0))
        .best_params_
    ),
    "sk_logreg": lambda: (
        linear_model.LogisticRegression(random_state=0).fit(xc, yc).predict([[3.0, 3.0]]).tolist()
    ),
    "sk_tree": lambda: (
        tree.DecisionTreeClassifier(random_state=0).fit(xc, yc).predict([[0.0, 0.0]]).tolist()
    ),
    "sk_pca": lambda: (
        decomposition.PCA(n_components=1)
        .fit([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
        .explained_variance_ratio_.tolist()
    ),
    "sk_knn": lambda: (
        neighbors.KNeighborsClassifier(n_neighbors=3).fit(xc, yc).predict([[2.5, 2.5]]).tolist()
    ),
    "sk_blobs": lambda: datasets.make_blobs(n_samples=10, random_state=0)[0].shape,
    "sk_onehot": lambda: [
        c.tolist()
        for c in preprocessing.OneHotEncoder(handle_unknown="ignore")
        .fit([["a"], ["b"]])
        .categories_
    ],
    "sk_linreg_coef": lambda: np.round(
        linear_model.LinearRegression().fit([[0], [1], [2]], [1, 3, 5]).coef_, 6
    ).tolist(),
    "sk_get_params": lambda: svm.SVC(C=2.0).get_params()["C"],
    "sk_report": lambda: metrics.f1_score([0, 1, 1], [0, 1, 0]),
}
