defmodule SklearnApp do
  @moduledoc "Calls as scikit-learn's documentation writes them (scikit-learn.org/stable)."

  alias Sklearn.LinearModel.LinearRegression
  alias Sklearn.Pipeline.Pipeline

  def cases do
    xc = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 3.0]]
    yc = [0, 1, 0, 1, 1, 1]
    # X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]]); y = np.dot(X, np.array([1, 2])) + 3
    x = [[1, 1], [1, 2], [2, 2], [2, 3]]
    y = [6, 8, 9, 11]
    points = [[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]]

    [
      # reg = LinearRegression().fit(X, y); reg.score(X, y)
      {"score",
       fn ->
         reg = LinearRegression.new!() |> LinearRegression.fit!(x, y)
         LinearRegression.score!(reg, x, y)
       end},
      # reg.coef_; reg.intercept_: set by fit
      {"coef",
       fn ->
         reg = LinearRegression.new!() |> LinearRegression.fit!(x, y)
         LinearRegression.coef_!(reg) |> Numpy.Ndarray.tolist!()
       end},
      {"intercept",
       fn ->
         LinearRegression.new!() |> LinearRegression.fit!(x, y) |> LinearRegression.intercept_!()
       end},
      # reg.predict(np.array([[3, 5]]))
      {"predict",
       fn ->
         LinearRegression.new!()
         |> LinearRegression.fit!(x, y)
         |> LinearRegression.predict!([[3, 5]])
         |> Numpy.Ndarray.tolist!()
       end},
      # est.set_params(fit_intercept=False).get_params()["fit_intercept"]
      {"set_params",
       fn ->
         LinearRegression.new!()
         |> LinearRegression.set_params!(fit_intercept: false)
         |> LinearRegression.get_params!()
         |> Map.fetch!("fit_intercept")
       end},
      # kmeans = KMeans(n_clusters=2, random_state=0, n_init="auto").fit(X); kmeans.labels_
      {"kmeans_labels",
       fn ->
         Sklearn.Cluster.KMeans.new!(n_clusters: 2, random_state: 0, n_init: "auto")
         |> Sklearn.Cluster.KMeans.fit!(points)
         |> Sklearn.Cluster.KMeans.labels_!()
         |> Numpy.Ndarray.tolist!()
       end},
      # StandardScaler().fit_transform(data)
      {"scaler",
       fn ->
         Sklearn.Preprocessing.StandardScaler.new!()
         |> Sklearn.Preprocessing.StandardScaler.fit_transform!([[0, 0], [0, 0], [1, 1], [1, 1]])
         |> Numpy.Ndarray.tolist!()
       end},
      # train_test_split(X, y, test_size=0.5, random_state=42)
      {"train_test_split",
       fn ->
         Sklearn.ModelSelection.train_test_split!(Enum.to_list(0..9),
           test_size: 0.5,
           random_state: 42
         )
       end},
      # accuracy_score(y_true, y_pred)
      {"accuracy", fn -> Sklearn.Metrics.accuracy_score!([0, 2, 1, 3], [0, 1, 2, 3]) end},
      # X, y = make_classification(random_state=0)
      # X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
      # pipe = Pipeline([('scaler', StandardScaler()), ('svc', SVC())])
      # pipe.fit(X_train, y_train).score(X_test, y_test)
      {"pipeline_score",
       fn ->
         {x, y} = Sklearn.Datasets.make_classification!(random_state: 0)

         [x_train, x_test, y_train, y_test] =
           Sklearn.ModelSelection.train_test_split!(x, y, random_state: 0)

         steps = [
           {"scaler", Sklearn.Preprocessing.StandardScaler.new!()},
           {"svc", Sklearn.Svm.SVC.new!()}
         ]

         Pipeline.new!(steps)
         |> Pipeline.fit!(x_train, y_train)
         |> Pipeline.score!(x_test, y_test)
       end},
      # pipe = make_pipeline(StandardScaler(), LogisticRegression())
      # pipe.fit(X_train, y_train); pipe.predict_proba(X_test); pipe.predict(X_test); pipe.decision_function(X_test)
      {"pipeline_predict_proba",
       fn ->
         {x, y} = Sklearn.Datasets.make_classification!(random_state: 0)

         [x_train, x_test, y_train, _] =
           Sklearn.ModelSelection.train_test_split!(x, y, random_state: 0)

         pipe =
           Sklearn.Pipeline.make_pipeline!(
             Sklearn.Preprocessing.StandardScaler.new!(),
             Sklearn.LinearModel.LogisticRegression.new!()
           )
           |> Pipeline.fit!(x_train, y_train)

         [
           Pipeline.predict_proba!(pipe, x_test),
           Pipeline.predict!(pipe, x_test),
           Pipeline.decision_function!(pipe, x_test)
         ]
         |> Enum.map(&Numpy.Ndarray.tolist!/1)
       end},

      # mean_squared_error(y_true, y_pred); r2_score(y_true, y_pred)
      {"mean_squared_error",
       fn ->
         Sklearn.Metrics.mean_squared_error!([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
       end},
      {"r2_score", fn -> Sklearn.Metrics.r2_score!([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) end},
      # confusion_matrix(y_true, y_pred).tolist()
      {"confusion_matrix",
       fn ->
         Sklearn.Metrics.confusion_matrix!([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
         |> Numpy.Ndarray.tolist!()
       end},
      # X, y = load_iris(return_X_y=True); X.shape
      {"load_iris",
       fn ->
         {features, _target} = Sklearn.Datasets.load_iris!(return_X_y: true)
         Numpy.Ndarray.shape!(features)
       end},
      # MinMaxScaler().fit_transform([[-1, 2], [-0.5, 6], [0, 10], [1, 18]]).tolist()
      {"min_max_scaler",
       fn ->
         Sklearn.Preprocessing.MinMaxScaler.new!()
         |> Sklearn.Preprocessing.MinMaxScaler.fit_transform!([
           [-1, 2],
           [-0.5, 6],
           [0, 10],
           [1, 18]
         ])
         |> Numpy.Ndarray.tolist!()
       end},

      # cross_val_score(LogisticRegression(), X, y, cv=2): X, y from make_classification
      {"cross_val_score",
       fn ->
         {features, target} =
           Sklearn.Datasets.make_classification!(n_samples: 20, random_state: 0)

         Sklearn.ModelSelection.cross_val_score!(
           Sklearn.LinearModel.LogisticRegression.new!(),
           features,
           target,
           cv: 2
         )
         |> Numpy.Ndarray.shape!()
       end},
      # GridSearchCV(SVC(), {"C": [1, 10]}, cv=2).fit(X, y).best_params_ keys
      {"grid_search",
       fn ->
         {features, target} =
           Sklearn.Datasets.make_classification!(n_samples: 20, random_state: 0)

         Sklearn.ModelSelection.GridSearchCV.new!(Sklearn.Svm.SVC.new!(), %{"C" => [1, 10]}, cv: 2)
         |> Sklearn.ModelSelection.GridSearchCV.fit!(features, target)
         |> Sklearn.ModelSelection.GridSearchCV.best_params_!()
         |> Map.keys()
       end},
      # more calls as the library's documentation writes them
      {"sk_logreg",
       fn ->
         Sklearn.LinearModel.LogisticRegression.new!(random_state: 0)
         |> Sklearn.LinearModel.LogisticRegression.fit!(xc, yc)
         |> Sklearn.LinearModel.LogisticRegression.predict!([[3.0, 3.0]])
         |> Numpy.Ndarray.tolist!()
       end},
      {"sk_tree",
       fn ->
         Sklearn.Tree.DecisionTreeClassifier.new!(random_state: 0)
         |> Sklearn.Tree.DecisionTreeClassifier.fit!(xc, yc)
         |> Sklearn.Tree.DecisionTreeClassifier.predict!([[0.0, 0.0]])
         |> Numpy.Ndarray.tolist!()
       end},
      {"sk_pca",
       fn ->
         Sklearn.Decomposition.PCA.new!(n_components: 1)
         |> Sklearn.Decomposition.PCA.fit!([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
         |> Sklearn.Decomposition.PCA.explained_variance_ratio_!()
         |> Numpy.Ndarray.tolist!()
       end},
      {"sk_knn",
       fn ->
         Sklearn.Neighbors.KNeighborsClassifier.new!(n_neighbors: 3)
         |> Sklearn.Neighbors.KNeighborsClassifier.fit!(xc, yc)
         |> Sklearn.Neighbors.KNeighborsClassifier.predict!([[2.5, 2.5]])
         |> Numpy.Ndarray.tolist!()
       end},
      {"sk_blobs",
       fn ->
         {xs, _ys} = Sklearn.Datasets.make_blobs!(n_samples: 10, random_state: 0)
         Numpy.Ndarray.shape!(xs)
       end},
      {"sk_onehot",
       fn ->
         Sklearn.Preprocessing.OneHotEncoder.new!(handle_unknown: "ignore")
         |> Sklearn.Preprocessing.OneHotEncoder.fit!([["a"], ["b"]])
         |> Sklearn.Preprocessing.OneHotEncoder.categories_!()
         |> Enum.map(&Numpy.Ndarray.tolist!/1)
       end},
      {"sk_linreg_coef",
       fn ->
         Sklearn.LinearModel.LinearRegression.new!()
         |> Sklearn.LinearModel.LinearRegression.fit!([[0], [1], [2]], [1, 3, 5])
         |> Sklearn.LinearModel.LinearRegression.coef_!()
         |> Numpy.round!(6)
         |> Numpy.Ndarray.tolist!()
       end},
      {"sk_get_params",
       fn -> Sklearn.Svm.SVC.new!(C: 2.0) |> Sklearn.Svm.SVC.get_params!() |> Map.get("C") end},
      {"sk_report", fn -> Sklearn.Metrics.f1_score!([0, 1, 1], [0, 1, 0]) end}
    ]
  end
end
