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
}
