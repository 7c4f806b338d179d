from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

x = [[1, 1], [1, 2], [2, 2], [2, 3]]
y = [6, 8, 9, 11]
points = [[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]]
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
}
