# Custom resources with kubectl, against a running Capstan (`capstan up`, then
# export KUBECONFIG=<data-dir>/kubeconfig). A CustomResourceDefinition makes a new kind,
# served like the built-in ones: CRUD, watch, the status subresource, printer columns.
kubectl apply -f - <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Schedule, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec, image]
            properties:
              cronSpec: {type: string}
              image: {type: string}
              replicas: {type: integer, minimum: 1, default: 1}
YAML
kubectl wait --for condition=established --timeout=60s crd/crontabs.stable.example.com

kubectl apply -f - <<'YAML'
apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: nightly-report
spec:
  cronSpec: "0 3 * * *"
  image: registry.example.com/report:1.4
YAML

kubectl get crontabs        # NAME  SCHEDULE  REPLICAS  AGE, from the CRD's printer columns
kubectl get ct nightly-report -o jsonpath='{.spec.replicas}{"\n"}'   # 1: defaulted by the schema
