/* Tests for api/print: the columns and cells `kubectl get` shows, as kube-apiserver v1.32 prints
 * them (pkg/printers/internalversion/printers.go and its tests). Objects are written with single
 * quotes for readability; q() turns them into JSON. */
#include "test.h"

#include "api/print.h"
#include "base/alloc.h"

#define NOW ((time_t)1795593600) /* 2026-11-25T08:00:00Z */

/* Relative to NOW */
#define AGO_7S "2026-11-25T07:59:53Z"
#define AGO_2M5S "2026-11-25T07:57:55Z"
#define AGO_3M "2026-11-25T07:57:00Z"
#define AGO_5M "2026-11-25T07:55:00Z"
#define AGO_10M "2026-11-25T07:50:00Z"
#define AGO_51M "2026-11-25T07:08:37Z"
#define AGO_3H4M "2026-11-25T04:56:00Z"
#define AGO_2D3H "2026-11-23T05:00:00Z"
#define AGO_5D "2026-11-20T08:00:00Z"
#define AGO_45D "2026-10-11T08:00:00Z"

/* JSON text with ' for ". */
static json_t *q(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *v = tj(s);
    free(s);
    return v;
}

/* Print obj with the printer of id at NOW; every row has one cell per column. */
static json_t *print_row(enum res_id id, const char *obj_text)
{
    const struct res_printer *p = res_printer(id);
    json_t *obj = q(obj_text), *cells = json_array();
    p->row(obj, cells, NOW);
    assert_int_equal(json_array_size(cells), p->ncolumns);
    json_decref(obj);
    return cells;
}

#define ASSERT_ROW(id, obj, want)                                                                  \
    do {                                                                                           \
        json_t *c_ = print_row(id, obj);                                                           \
        json_t *want_ = q(want);                                                                   \
        char *ws_ = json_dumps(want_, JSON_COMPACT);                                               \
        assert_json_eq(c_, ws_);                                                                   \
        free(ws_);                                                                                 \
        json_decref(want_);                                                                        \
        json_decref(c_);                                                                           \
    } while (0)

/* The column set of a kind as [[name, type, format, priority], ...]. */
static void assert_columns(enum res_id id, const char *want)
{
    const struct res_printer *p = res_printer(id);
    json_t *cols = json_array(), *w = q(want);
    for (size_t i = 0; i < p->ncolumns; i++) {
        const struct print_column *c = &p->columns[i];
        json_array_append_new(cols, json_pack("[sssi]", c->name, c->type, c->format, c->priority));
        assert_true(c->description && *c->description);
    }
    char *ws = json_dumps(w, JSON_COMPACT);
    assert_json_eq(cols, ws);
    free(ws);
    json_decref(w);
    json_decref(cols);
}

/* A pod in namespace sts created 51 minutes ago, with the given spec and status. */
#define POD(spec, status)                                                                          \
    "{'metadata':{'name':'web-0','namespace':'sts','creationTimestamp':'" AGO_51M "'},"            \
    "'spec':" spec ",'status':" status "}"
#define ONE_CONTAINER "{'containers':[{'name':'app','image':'nginx:1.25'}]}"

/* --- Pod --- */

static void test_pod_running(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD("{'nodeName':'node-1','containers':[{'name':'nginx','image':'nginx:1.25'}]}",
                   "{'phase':'Running','podIP':'10.42.0.7','podIPs':[{'ip':'10.42.0.7'}],"
                   "'conditions':[{'type':'Initialized','status':'True'},"
                   "{'type':'Ready','status':'True'}],"
                   "'containerStatuses':[{'name':'nginx','ready':true,'restartCount':0,"
                   "'started':true,'state':{'running':{'startedAt':'" AGO_51M "'}}}]}"),
               "['web-0','1/1','Running','0','51m','10.42.0.7','node-1','<none>','<none>']");
}

static void test_pod_pending_unscheduled(void **state)
{
    ASSERT_ROW(RES_PODS, POD(ONE_CONTAINER, "{'phase':'Pending'}"),
               "['web-0','0/1','Pending','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_container_creating(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Pending','containerStatuses':[{'name':'app',"
                                  "'state':{'waiting':{'reason':'ContainerCreating'}}}]}"),
               "['web-0','0/1','ContainerCreating','0','51m','<none>','<none>','<none>',"
               "'<none>']");
}

static void test_pod_crashloop_restarts_ago(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER,
                   "{'phase':'Running','containerStatuses':[{'name':'app','ready':false,"
                   "'restartCount':5,'state':{'waiting':{'reason':'CrashLoopBackOff',"
                   "'message':'back-off 2m40s restarting failed container'}},"
                   "'lastState':{'terminated':{'exitCode':1,'reason':'Error',"
                   "'startedAt':'" AGO_10M "','finishedAt':'" AGO_5M "'}}}]}"),
               "['web-0','0/1','CrashLoopBackOff','5 (5m ago)','51m','<none>','<none>',"
               "'<none>','<none>']");
}

static void test_pod_terminated_signal(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Running','containerStatuses':[{'name':'app',"
                                  "'state':{'terminated':{'exitCode':137,'signal':9}}}]}"),
               "['web-0','0/1','Signal:9','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_terminated_exit_code(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Failed','containerStatuses':[{'name':'app',"
                                  "'state':{'terminated':{'exitCode':1}}}]}"),
               "['web-0','0/1','ExitCode:1','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_completed(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER,
                   "{'phase':'Succeeded','containerStatuses':[{'name':'app','ready':false,"
                   "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}"),
               "['web-0','0/1','Completed','0','51m','<none>','<none>','<none>','<none>']");
}

/* A container that ran to completion next to one still running: Running or NotReady,
 * depending on the pod's Ready condition. */
static void test_pod_completed_but_one_running(void **state)
{
#define TWO_CONTAINERS "{'containers':[{'name':'a'},{'name':'b'}]}"
#define TWO_STATUSES                                                                               \
    "'containerStatuses':[{'name':'a','ready':true,'state':{'running':{}}},"                       \
    "{'name':'b','ready':false,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]"
    ASSERT_ROW(RES_PODS,
               POD(TWO_CONTAINERS, "{'phase':'Running','conditions':[{'type':'Ready',"
                                   "'status':'True'}]," TWO_STATUSES "}"),
               "['web-0','1/2','Running','0','51m','<none>','<none>','<none>','<none>']");
    ASSERT_ROW(RES_PODS,
               POD(TWO_CONTAINERS, "{'phase':'Running','conditions':[{'type':'Ready',"
                                   "'status':'False'}]," TWO_STATUSES "}"),
               "['web-0','1/2','NotReady','0','51m','<none>','<none>','<none>','<none>']");
}

/* The first container's state decides: statuses are read backwards. */
static void test_pod_first_container_reason_wins(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_CONTAINERS,
                   "{'phase':'Pending','containerStatuses':["
                   "{'name':'a','state':{'waiting':{'reason':'ErrImagePull'}}},"
                   "{'name':'b','state':{'waiting':{'reason':'ContainerCreating'}}}]}"),
               "['web-0','0/2','ErrImagePull','0','51m','<none>','<none>','<none>','<none>']");
}

#define TWO_INITS                                                                                  \
    "{'initContainers':[{'name':'init-a'},{'name':'init-b'}],'containers':[{'name':'app'}]}"
#define APP_INITIALIZING                                                                           \
    "'containerStatuses':[{'name':'app','state':{'waiting':{'reason':'PodInitializing'}}}]"

static void test_pod_init_first_running(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','conditions':[{'type':'Initialized',"
                              "'status':'False'}],'initContainerStatuses':["
                              "{'name':'init-a','state':{'running':{}}},"
                              "{'name':'init-b','state':{'waiting':{'reason':'PodInitializing'}}}"
                              "]," APP_INITIALIZING "}"),
               "['web-0','0/1','Init:0/2','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_init_second_running(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':["
                              "{'name':'init-a','state':{'terminated':{'exitCode':0,"
                              "'reason':'Completed'}}},"
                              "{'name':'init-b','state':{'waiting':{'reason':'PodInitializing'}}}"
                              "]," APP_INITIALIZING "}"),
               "['web-0','0/1','Init:1/2','0','51m','<none>','<none>','<none>','<none>']");
}

/* A failed init container: its reason, and its restarts (the main containers' do not count
 * while the pod is not initialized). */
static void test_pod_init_error_with_restarts(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':["
                              "{'name':'init-a','restartCount':3,'state':{'terminated':{"
                              "'exitCode':1,'reason':'Error'}},'lastState':{'terminated':{"
                              "'exitCode':1,'reason':'Error','finishedAt':'" AGO_2M5S "'}}},"
                              "{'name':'init-b','state':{'waiting':{'reason':'PodInitializing'}}}"
                              "],'containerStatuses':[{'name':'app','restartCount':7,"
                              "'state':{'waiting':{'reason':'PodInitializing'}}}]}"),
               "['web-0','0/1','Init:Error','3 (2m5s ago)','51m','<none>','<none>','<none>',"
               "'<none>']");
}

static void test_pod_init_signal_and_exit_code(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':[{'name':'init-a',"
                              "'state':{'terminated':{'exitCode':137,'signal':9}}}]}"),
               "['web-0','0/1','Init:Signal:9','0','51m','<none>','<none>','<none>','<none>']");
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':[{'name':'init-a',"
                              "'state':{'terminated':{'exitCode':2}}}]}"),
               "['web-0','0/1','Init:ExitCode:2','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_init_waiting_reasons(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':[{'name':'init-a',"
                              "'restartCount':4,'state':{'waiting':{"
                              "'reason':'CrashLoopBackOff'}}}]}"),
               "['web-0','0/1','Init:CrashLoopBackOff','4','51m','<none>','<none>','<none>',"
               "'<none>']");
    /* PodInitializing on an init container is progress, not a reason */
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','initContainerStatuses':[{'name':'init-a',"
                              "'state':{'waiting':{'reason':'PodInitializing'}}}]}"),
               "['web-0','0/1','Init:0/2','0','51m','<none>','<none>','<none>','<none>']");
}

/* Init containers done, the main container not started yet. */
static void test_pod_initializing(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_INITS, "{'phase':'Pending','conditions':[{'type':'Initialized',"
                              "'status':'True'}],'initContainerStatuses':["
                              "{'name':'init-a','state':{'terminated':{'exitCode':0}}},"
                              "{'name':'init-b','state':{'terminated':{'exitCode':0}}}"
                              "]," APP_INITIALIZING "}"),
               "['web-0','0/1','PodInitializing','0','51m','<none>','<none>','<none>',"
               "'<none>']");
}

/* A sidecar (init container with restartPolicy Always) counts as a container, and its
 * restarts count once the pod is initialized. */
static void test_pod_sidecar(void **state)
{
#define SIDECAR_SPEC                                                                               \
    "{'initContainers':[{'name':'proxy','restartPolicy':'Always'}],'containers':[{'name':'app'}]}"
    ASSERT_ROW(RES_PODS,
               POD(SIDECAR_SPEC,
                   "{'phase':'Running','conditions':[{'type':'Initialized','status':'True'},"
                   "{'type':'Ready','status':'True'}],'initContainerStatuses':[{'name':'proxy',"
                   "'started':true,'ready':true,'restartCount':1,'state':{'running':{}},"
                   "'lastState':{'terminated':{'exitCode':1,'finishedAt':'" AGO_10M "'}}}],"
                   "'containerStatuses':[{'name':'app','ready':true,'restartCount':0,"
                   "'state':{'running':{}}}]}"),
               "['web-0','2/2','Running','1 (10m ago)','51m','<none>','<none>','<none>',"
               "'<none>']");
    /* not started yet: still initializing */
    ASSERT_ROW(RES_PODS,
               POD(SIDECAR_SPEC, "{'phase':'Pending','initContainerStatuses':[{'name':'proxy',"
                                 "'started':false,'state':{'running':{}}}]," APP_INITIALIZING "}"),
               "['web-0','0/2','Init:0/1','0','51m','<none>','<none>','<none>','<none>']");
}

/* Restarts sum over containers; the time is the latest last termination. */
static void test_pod_restarts_latest(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(TWO_CONTAINERS,
                   "{'phase':'Running','containerStatuses':["
                   "{'name':'a','ready':true,'restartCount':2,'state':{'running':{}},"
                   "'lastState':{'terminated':{'exitCode':1,'finishedAt':'" AGO_10M "'}}},"
                   "{'name':'b','ready':true,'restartCount':3,'state':{'running':{}},"
                   "'lastState':{'terminated':{'exitCode':1,'finishedAt':'" AGO_3M "'}}}]}"),
               "['web-0','2/2','Running','5 (3m ago)','51m','<none>','<none>','<none>',"
               "'<none>']");
    /* no last termination recorded: the bare count */
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Running','containerStatuses':[{'name':'app',"
                                  "'ready':true,'restartCount':2,'state':{'running':{}}}]}"),
               "['web-0','1/1','Running','2','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_terminating(void **state)
{
    ASSERT_ROW(RES_PODS,
               "{'metadata':{'name':'web-2','creationTimestamp':'" AGO_51M "',"
               "'deletionTimestamp':'2026-11-25T08:00:30Z','deletionGracePeriodSeconds':30},"
               "'spec':{'nodeName':'node-1','containers':[{'name':'app'}]},"
               "'status':{'phase':'Running','podIP':'10.42.0.9','containerStatuses':[{"
               "'name':'app','ready':true,'state':{'running':{}}}]}}",
               "['web-2','1/1','Terminating','0','51m','10.42.0.9','node-1','<none>','<none>']");
    /* a pod that already finished keeps its phase */
    ASSERT_ROW(RES_PODS,
               "{'metadata':{'name':'job-1','creationTimestamp':'" AGO_51M "',"
               "'deletionTimestamp':'" AGO_7S "'},'spec':" ONE_CONTAINER ","
               "'status':{'phase':'Succeeded','containerStatuses':[{'name':'app',"
               "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
               "['job-1','0/1','Completed','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_node_lost(void **state)
{
    ASSERT_ROW(RES_PODS,
               "{'metadata':{'name':'web-1','creationTimestamp':'" AGO_51M "',"
               "'deletionTimestamp':'" AGO_5M "'},'spec':" ONE_CONTAINER ","
               "'status':{'phase':'Running','reason':'NodeLost','containerStatuses':[{"
               "'name':'app','ready':true,'state':{'running':{}}}]}}",
               "['web-1','1/1','Unknown','0','51m','<none>','<none>','<none>','<none>']");
}

static void test_pod_status_reason_and_gated(void **state)
{
    ASSERT_ROW(RES_PODS, POD(ONE_CONTAINER, "{'phase':'Failed','reason':'Evicted'}"),
               "['web-0','0/1','Evicted','0','51m','<none>','<none>','<none>','<none>']");
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Pending','conditions':[{'type':'PodScheduled',"
                                  "'status':'False','reason':'SchedulingGated'}]}"),
               "['web-0','0/1','SchedulingGated','0','51m','<none>','<none>','<none>',"
               "'<none>']");
}

static void test_pod_wide_readiness_gates(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD("{'nodeName':'node-1','readinessGates':[{'conditionType':'example.com/lb'},"
                   "{'conditionType':'example.com/dns'},{'conditionType':'example.com/absent'}],"
                   "'containers':[{'name':'app'}]}",
                   "{'phase':'Running','podIP':'10.42.0.7','nominatedNodeName':'node-2',"
                   "'conditions':[{'type':'example.com/lb','status':'True'},"
                   "{'type':'example.com/dns','status':'False'},{'type':'Ready',"
                   "'status':'False'}],'containerStatuses':[{'name':'app','ready':true,"
                   "'state':{'running':{}}}]}"),
               "['web-0','1/1','Running','0','51m','10.42.0.7','node-1','node-2','1/3']");
}

/* The IP comes from podIPs when podIP is not set (the v1 conversion). */
static void test_pod_wide_pod_ips(void **state)
{
    ASSERT_ROW(RES_PODS,
               POD(ONE_CONTAINER, "{'phase':'Running','podIPs':[{'ip':'fd00:10:42::5'},"
                                  "{'ip':'10.42.0.5'}]}"),
               "['web-0','0/1','Running','0','51m','fd00:10:42::5','<none>','<none>','<none>']");
}

/* --- Service, Endpoints, EndpointSlice --- */

static void test_service_headless(void **state)
{
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'nginx','namespace':'sts','creationTimestamp':'" AGO_5D "'},"
               "'spec':{'type':'ClusterIP','clusterIP':'None','clusterIPs':['None'],"
               "'selector':{'app':'nginx'},'ports':[{'name':'web','port':80,'protocol':'TCP',"
               "'targetPort':80}]}}",
               "['nginx','ClusterIP','None','<none>','80/TCP','5d','app=nginx']");
}

static void test_service_node_port(void **state)
{
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'web','creationTimestamp':'" AGO_3H4M "'},"
               "'spec':{'type':'NodePort','clusterIP':'10.43.0.15','externalIPs':['1.2.3.4',"
               "'5.6.7.8'],'selector':{'tier':'fe','app':'web'},'ports':["
               "{'port':80,'nodePort':30080,'protocol':'TCP'},"
               "{'port':443,'nodePort':30443,'protocol':'TCP'},{'port':53,'protocol':'UDP'}]}}",
               "['web','NodePort','10.43.0.15','1.2.3.4,5.6.7.8',"
               "'80:30080/TCP,443:30443/TCP,53/UDP','3h4m','app=web,tier=fe']");
}

static void test_service_load_balancer(void **state)
{
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'lb','creationTimestamp':'" AGO_7S "'},"
               "'spec':{'type':'LoadBalancer','clusterIP':'10.43.0.10','ports':[{'port':80,"
               "'nodePort':31000,'protocol':'TCP'}]},'status':{'loadBalancer':{}}}",
               "['lb','LoadBalancer','10.43.0.10','<pending>','80:31000/TCP','7s','<none>']");
    /* ingress IPs or hostnames sorted and de-duplicated, then the external IPs */
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'lb','creationTimestamp':'" AGO_7S "'},"
               "'spec':{'type':'LoadBalancer','clusterIP':'10.43.0.10','externalIPs':"
               "['198.51.100.1'],'ports':[{'port':443,'nodePort':31443,'protocol':'TCP'}]},"
               "'status':{'loadBalancer':{'ingress':[{'hostname':'lb.example.com'},"
               "{'ip':'203.0.113.9'},{'ip':'203.0.113.9','hostname':'ignored.example.com'}]}}}",
               "['lb','LoadBalancer','10.43.0.10','203.0.113.9,lb.example.com,198.51.100.1',"
               "'443:31443/TCP','7s','<none>']");
}

static void test_service_external_name_and_defaults(void **state)
{
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'db','creationTimestamp':'" AGO_45D "'},"
               "'spec':{'type':'ExternalName','externalName':'db.example.com'}}",
               "['db','ExternalName','<none>','db.example.com','<none>','45d','<none>']");
    /* type and protocol default; clusterIPs alone gives the IP */
    ASSERT_ROW(RES_SERVICES,
               "{'metadata':{'name':'api','creationTimestamp':'" AGO_45D "'},"
               "'spec':{'clusterIPs':['10.43.0.20','fd00:43::20'],'ports':[{'port':8080}]}}",
               "['api','ClusterIP','10.43.0.20','<none>','8080/TCP','45d','<none>']");
}

static void test_endpoints(void **state)
{
    /* every address on every port, three shown */
    ASSERT_ROW(RES_ENDPOINTS,
               "{'metadata':{'name':'web','creationTimestamp':'" AGO_5M "'},'subsets':[{"
               "'addresses':[{'ip':'10.42.0.1'},{'ip':'10.42.0.2'}],'notReadyAddresses':[{"
               "'ip':'10.42.0.3'}],'ports':[{'name':'http','port':80},{'name':'https',"
               "'port':443}]}]}",
               "['web','10.42.0.1:80,10.42.0.2:80,10.42.0.1:443 + 1 more...','5m']");
    /* headless without ports: bare IPs; IPv6 in brackets */
    ASSERT_ROW(RES_ENDPOINTS,
               "{'metadata':{'name':'dns','creationTimestamp':'" AGO_5M "'},'subsets':["
               "{'addresses':[{'ip':'10.42.0.5'}]},"
               "{'addresses':[{'ip':'fd00::5'}],'ports':[{'port':53}]}]}",
               "['dns','10.42.0.5,[fd00::5]:53','5m']");
}

static void test_endpoints_empty(void **state)
{
    ASSERT_ROW(RES_ENDPOINTS, "{'metadata':{'name':'e','creationTimestamp':'" AGO_5M "'}}",
               "['e','<none>','5m']");
    /* only not-ready addresses: an empty cell, not <none> */
    ASSERT_ROW(RES_ENDPOINTS,
               "{'metadata':{'name':'e','creationTimestamp':'" AGO_5M "'},'subsets':[{"
               "'notReadyAddresses':[{'ip':'10.42.0.3'}],'ports':[{'port':80}]}]}",
               "['e','','5m']");
}

static void test_endpointslice(void **state)
{
    ASSERT_ROW(RES_ENDPOINTSLICES,
               "{'metadata':{'name':'web-abc12','creationTimestamp':'" AGO_2M5S "'},"
               "'addressType':'IPv4','ports':[{'name':'http','port':80,'protocol':'TCP'},"
               "{'name':'metrics'},{},{'port':9090}],'endpoints':[{'addresses':['10.42.0.7']},"
               "{'addresses':['10.42.0.8','10.42.0.9']},{'addresses':['10.42.0.10']}]}",
               "['web-abc12','IPv4','80,metrics,* + 1 more...',"
               "'10.42.0.7,10.42.0.8,10.42.0.9 + 1 more...','2m5s']");
    ASSERT_ROW(RES_ENDPOINTSLICES,
               "{'metadata':{'name':'empty','creationTimestamp':'" AGO_2M5S "'},"
               "'addressType':'IPv6','endpoints':[]}",
               "['empty','IPv6','<unset>','<unset>','2m5s']");
}

/* --- PersistentVolume, PersistentVolumeClaim, StorageClass --- */

static void test_pv_bound(void **state)
{
    ASSERT_ROW(RES_PERSISTENTVOLUMES,
               "{'metadata':{'name':'pv-001','creationTimestamp':'" AGO_3H4M "'},"
               "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"
               "'persistentVolumeReclaimPolicy':'Retain','storageClassName':'local-storage',"
               "'volumeMode':'Filesystem','claimRef':{'kind':'PersistentVolumeClaim',"
               "'namespace':'sts','name':'www-web-0','uid':'u1'},'hostPath':{'path':'/d/1'}},"
               "'status':{'phase':'Bound'}}",
               "['pv-001','1Gi','RWO','Retain','Bound','sts/www-web-0','local-storage',"
               "'<unset>','','3h4m','Filesystem']");
}

/* Access modes in upstream's order without duplicates, the beta class annotation over the
 * field, Terminating over the phase, a volume attributes class and a reason. */
static void test_pv_tricky(void **state)
{
    ASSERT_ROW(RES_PERSISTENTVOLUMES,
               "{'metadata':{'name':'pv-002','creationTimestamp':'" AGO_2D3H "',"
               "'deletionTimestamp':'" AGO_7S "','annotations':{"
               "'volume.beta.kubernetes.io/storage-class':'slow'}},"
               "'spec':{'capacity':{'storage':'5Gi'},'accessModes':['ReadWriteOncePod',"
               "'ReadWriteMany','ReadOnlyMany','ReadWriteOnce','ReadWriteMany'],"
               "'persistentVolumeReclaimPolicy':'Delete','storageClassName':'fast',"
               "'volumeAttributesClassName':'gold','volumeMode':'Block'},"
               "'status':{'phase':'Failed','reason':'VolumeFailedDelete'}}",
               "['pv-002','5Gi','RWO,ROX,RWX,RWOP','Delete','Terminating','','slow','gold',"
               "'VolumeFailedDelete','2d3h','Block']");
}

/* What v1 defaulting fills in; an absent capacity is the zero quantity. */
static void test_pv_defaults(void **state)
{
    ASSERT_ROW(RES_PERSISTENTVOLUMES, "{'metadata':{'name':'pv-x'},'spec':{}}",
               "['pv-x','0','','Retain','Pending','','','<unset>','','<unknown>','Filesystem']");
}

/* The capacity prints in canonical form, as upstream's Quantity.String() does. */
static void test_pv_capacity_canonical(void **state)
{
    ASSERT_ROW(RES_PERSISTENTVOLUMES,
               "{'metadata':{'name':'pv-3','creationTimestamp':'" AGO_5D "'},"
               "'spec':{'capacity':{'storage':'1024Mi'},'accessModes':['ReadWriteOnce']},"
               "'status':{'phase':'Available'}}",
               "['pv-3','1Gi','RWO','Retain','Available','','','<unset>','','5d',"
               "'Filesystem']");
}

static void test_pvc_bound(void **state)
{
    /* capacity and access modes are the volume's, from status */
    ASSERT_ROW(RES_PERSISTENTVOLUMECLAIMS,
               "{'metadata':{'name':'www-web-0','namespace':'sts','creationTimestamp':'" AGO_51M
               "'},'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{"
               "'storage':'1Gi'}},'storageClassName':'local-storage','volumeName':'pv-001',"
               "'volumeMode':'Filesystem'},'status':{'phase':'Bound','accessModes':["
               "'ReadWriteOnce','ReadOnlyMany'],'capacity':{'storage':'2Gi'}}}",
               "['www-web-0','Bound','pv-001','2Gi','RWO,ROX','local-storage','<unset>','51m',"
               "'Filesystem']");
}

static void test_pvc_pending_and_terminating(void **state)
{
    ASSERT_ROW(RES_PERSISTENTVOLUMECLAIMS,
               "{'metadata':{'name':'www-web-3','creationTimestamp':'" AGO_7S "'},"
               "'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{"
               "'storage':'1Gi'}}},'status':{'accessModes':['ReadWriteOnce'],"
               "'capacity':{'storage':'1Gi'}}}",
               "['www-web-3','Pending','','','','','<unset>','7s','Filesystem']");
    ASSERT_ROW(RES_PERSISTENTVOLUMECLAIMS,
               "{'metadata':{'name':'data','creationTimestamp':'" AGO_45D "',"
               "'deletionTimestamp':'" AGO_7S "','annotations':{"
               "'volume.beta.kubernetes.io/storage-class':'slow'}},"
               "'spec':{'storageClassName':'fast','volumeName':'pv-9',"
               "'volumeAttributesClassName':'silver','volumeMode':'Block'},"
               "'status':{'phase':'Bound'}}",
               "['data','Terminating','pv-9','0','','slow','silver','45d','Block']");
}

static void test_storageclass(void **state)
{
    ASSERT_ROW(RES_STORAGECLASSES,
               "{'metadata':{'name':'local-path','creationTimestamp':'" AGO_45D "',"
               "'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},"
               "'provisioner':'rancher.io/local-path','reclaimPolicy':'Delete',"
               "'volumeBindingMode':'WaitForFirstConsumer'}",
               "['local-path (default)','rancher.io/local-path','Delete',"
               "'WaitForFirstConsumer',false,'45d']");
    /* the beta annotation counts too; unset policy and mode print their defaults */
    ASSERT_ROW(RES_STORAGECLASSES,
               "{'metadata':{'name':'fast','creationTimestamp':'" AGO_5D "','annotations':{"
               "'storageclass.beta.kubernetes.io/is-default-class':'true'}},"
               "'provisioner':'example.com/ssd','allowVolumeExpansion':true}",
               "['fast (default)','example.com/ssd','Delete','Immediate',true,'5d']");
    ASSERT_ROW(RES_STORAGECLASSES,
               "{'metadata':{'name':'slow','creationTimestamp':'" AGO_5D "','annotations':{"
               "'storageclass.kubernetes.io/is-default-class':'false'}},"
               "'provisioner':'example.com/hdd','reclaimPolicy':'Retain'}",
               "['slow','example.com/hdd','Retain','Immediate',false,'5d']");
}

/* --- Event --- */

static void test_event_core(void **state)
{
    ASSERT_ROW(
        RES_EVENTS,
        "{'metadata':{'name':'web-0.17f3a2b1c','namespace':'sts','creationTimestamp':'" AGO_51M
        "'},'involvedObject':{'kind':'Pod','namespace':'sts','name':'web-0',"
        "'fieldPath':'spec.containers{nginx}'},'reason':'Pulled',"
        "'message':'  Container image already present on machine\\n',"
        "'source':{'component':'kubelet','host':'node-1'},'firstTimestamp':'" AGO_51M
        "','lastTimestamp':'" AGO_5M "','count':3,'type':'Normal'}",
        "['5m','Normal','Pulled','pod/web-0','spec.containers{nginx}','kubelet, node-1',"
        "'Container image already present on machine','51m',3,'web-0.17f3a2b1c']");
}

/* events.k8s.io-style: eventTime and series instead of the timestamps and count; the source
 * from reportingComponent/Instance. Go truncates 124.87s to 2m4s. */
static void test_event_series(void **state)
{
    ASSERT_ROW(RES_EVENTS,
               "{'metadata':{'name':'web.1'},'involvedObject':{'kind':'StatefulSet',"
               "'name':'web'},'reason':'SuccessfulCreate','message':'create Pod web-1 in "
               "StatefulSet web successful','eventTime':'2026-11-25T07:57:55.123456Z',"
               "'series':{'count':4,'lastObservedTime':'2026-11-25T07:59:53.000000Z'},"
               "'reportingComponent':'statefulset-controller','reportingInstance':'berth-1',"
               "'type':'Normal'}",
               "['7s','Normal','SuccessfulCreate','statefulset/web','',"
               "'statefulset-controller, berth-1','create Pod web-1 in StatefulSet web "
               "successful','2m4s',4,'web.1']");
}

static void test_event_sparse(void **state)
{
    /* no times at all, no count, an object without a name, Unicode spaces trimmed */
    ASSERT_ROW(RES_EVENTS,
               "{'metadata':{'name':'n.1'},'involvedObject':{'kind':'Node'},"
               "'reason':'Starting','message':'\\u00a0\\u2003kubelet starting\\t\\u3000',"
               "'type':'Warning'}",
               "['<unknown>','Warning','Starting','node','','','kubelet starting','<unknown>',"
               "1,'n.1']");
    /* lastTimestamp missing: Last Seen is First Seen */
    ASSERT_ROW(RES_EVENTS,
               "{'metadata':{'name':'n.2'},'involvedObject':{'kind':'Node','name':'node-1'},"
               "'reason':'NodeReady','firstTimestamp':'" AGO_10M "','lastTimestamp':null,"
               "'count':1,'source':{'component':'kubelet'}}",
               "['10m','','NodeReady','node/node-1','','kubelet','','10m',1,'n.2']");
}

/* --- Node --- */

static void test_node_ready_wide(void **state)
{
    ASSERT_ROW(RES_NODES,
               "{'metadata':{'name':'node-1','creationTimestamp':'" AGO_45D "','labels':{"
               "'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'master',"
               "'node-role.kubernetes.io/':'x','node-role.kubernetes.io/master':'',"
               "'kubernetes.io/hostname':'node-1'}},'status':{'conditions':["
               "{'type':'MemoryPressure','status':'False'},{'type':'Ready','status':'True'}],"
               "'addresses':[{'type':'Hostname','address':'node-1'},{'type':'InternalIP',"
               "'address':'192.168.1.10'},{'type':'InternalIP','address':'192.168.1.11'}],"
               "'nodeInfo':{'kubeletVersion':'v1.32.4','osImage':'Debian GNU/Linux 12 "
               "(bookworm)','kernelVersion':'6.1.0-18-amd64','containerRuntimeVersion':"
               "'runc://1.1.5'}}}",
               "['node-1','Ready','control-plane,master','45d','v1.32.4','192.168.1.10',"
               "'<none>','Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','runc://1.1.5']");
}

static void test_node_not_ready_cordoned(void **state)
{
    ASSERT_ROW(RES_NODES,
               "{'metadata':{'name':'node-2','creationTimestamp':'" AGO_2D3H "','labels':{"
               "'kubernetes.io/role':''}},'spec':{'unschedulable':true},'status':{"
               "'conditions':[{'type':'Ready','status':'Unknown'}],'addresses':[{"
               "'type':'ExternalIP','address':'203.0.113.5'}]}}",
               "['node-2','NotReady,SchedulingDisabled','<none>','2d3h','','<none>',"
               "'203.0.113.5','<unknown>','<unknown>','<unknown>']");
    /* no Ready condition at all; the last Ready condition wins when repeated */
    ASSERT_ROW(RES_NODES, "{'metadata':{'name':'node-3','creationTimestamp':'" AGO_7S "'}}",
               "['node-3','Unknown','<none>','7s','','<none>','<none>','<unknown>','<unknown>',"
               "'<unknown>']");
    ASSERT_ROW(RES_NODES,
               "{'metadata':{'name':'node-4','creationTimestamp':'" AGO_7S "'},'status':{"
               "'conditions':[{'type':'Ready','status':'False'},{'type':'Ready',"
               "'status':'True'}]}}",
               "['node-4','Ready','<none>','7s','','<none>','<none>','<unknown>','<unknown>',"
               "'<unknown>']");
}

/* --- Namespace, ConfigMap, Secret, ServiceAccount, Lease --- */

static void test_namespace(void **state)
{
    ASSERT_ROW(RES_NAMESPACES,
               "{'metadata':{'name':'sts','creationTimestamp':'" AGO_51M "'},"
               "'status':{'phase':'Active'}}",
               "['sts','Active','51m']");
    ASSERT_ROW(RES_NAMESPACES,
               "{'metadata':{'name':'old','creationTimestamp':'" AGO_45D "',"
               "'deletionTimestamp':'" AGO_7S "'},'status':{'phase':'Terminating'}}",
               "['old','Terminating','45d']");
    ASSERT_ROW(RES_NAMESPACES, "{'metadata':{'name':'new','creationTimestamp':'" AGO_7S "'}}",
               "['new','Active','7s']");
}

/* Data counts are JSON integers, as upstream's int64 cells. */
static void test_configmap_secret_serviceaccount(void **state)
{
    ASSERT_ROW(RES_CONFIGMAPS,
               "{'metadata':{'name':'cfg','creationTimestamp':'" AGO_5D "'},'data':{'a':'1',"
               "'b':'2'},'binaryData':{'c':'AAE='}}",
               "['cfg',3,'5d']");
    ASSERT_ROW(RES_CONFIGMAPS,
               "{'metadata':{'name':'kube-root-ca.crt','creationTimestamp':'" AGO_5D "'}}",
               "['kube-root-ca.crt',0,'5d']");
    ASSERT_ROW(RES_SECRETS,
               "{'metadata':{'name':'tls','creationTimestamp':'" AGO_10M "'},"
               "'type':'kubernetes.io/tls','data':{'tls.crt':'YQ==','tls.key':'Yg=='}}",
               "['tls','kubernetes.io/tls',2,'10m']");
    ASSERT_ROW(RES_SECRETS, "{'metadata':{'name':'s','creationTimestamp':'" AGO_10M "'}}",
               "['s','Opaque',0,'10m']");
    ASSERT_ROW(RES_SERVICEACCOUNTS,
               "{'metadata':{'name':'default','creationTimestamp':'" AGO_45D "'},"
               "'secrets':[{'name':'default-token-abcde'}]}",
               "['default',1,'45d']");
    ASSERT_ROW(RES_SERVICEACCOUNTS,
               "{'metadata':{'name':'builder','creationTimestamp':'" AGO_45D "'}}",
               "['builder',0,'45d']");
}

static void test_lease(void **state)
{
    ASSERT_ROW(
        RES_LEASES,
        "{'metadata':{'name':'node-1','namespace':'kube-node-lease','creationTimestamp':'" AGO_45D
        "'},'spec':{'holderIdentity':'node-1','leaseDurationSeconds':40}}",
        "['node-1','node-1','45d']");
    ASSERT_ROW(RES_LEASES,
               "{'metadata':{'name':'free','creationTimestamp':'" AGO_7S "'},"
               "'spec':{}}",
               "['free','','7s']");
}

/* --- StatefulSet, ControllerRevision --- */

static void test_statefulset_wide(void **state)
{
    ASSERT_ROW(RES_STATEFULSETS,
               "{'metadata':{'name':'web','namespace':'sts','creationTimestamp':'" AGO_2D3H "'},"
               "'spec':{'replicas':3,'serviceName':'nginx','template':{'spec':{'containers':["
               "{'name':'nginx','image':'nginx:1.25'},{'name':'sidecar','image':"
               "'busybox:1.36'}]}}},'status':{'replicas':3,'readyReplicas':2}}",
               "['web','2/3','2d3h','nginx,sidecar','nginx:1.25,busybox:1.36']");
    /* replicas defaults to 1; no ready replicas reported yet */
    ASSERT_ROW(RES_STATEFULSETS, "{'metadata':{'name':'db','creationTimestamp':'" AGO_7S "'}}",
               "['db','0/1','7s','','']");
    /* scaled to zero */
    ASSERT_ROW(RES_STATEFULSETS,
               "{'metadata':{'name':'db','creationTimestamp':'" AGO_7S "'},'spec':{'replicas':0,"
               "'template':{'spec':{'containers':[{'name':'pg','image':'postgres:16'}]}}}}",
               "['db','0/0','7s','pg','postgres:16']");
}

static void test_controllerrevision(void **state)
{
    ASSERT_ROW(
        RES_CONTROLLERREVISIONS,
        "{'metadata':{'name':'web-7b9d5c8d4f','namespace':'sts','creationTimestamp':'" AGO_51M
        "','ownerReferences':[{'apiVersion':'apps/v1','kind':'StatefulSet',"
        "'name':'web','uid':'u1','controller':true,'blockOwnerDeletion':true}]},"
        "'data':{},'revision':2}",
        "['web-7b9d5c8d4f','statefulset.apps/web',2,'51m']");
}

static void test_controllerrevision_owners(void **state)
{
    /* only the controller reference counts; a core kind has no group */
    ASSERT_ROW(RES_CONTROLLERREVISIONS,
               "{'metadata':{'name':'r1','creationTimestamp':'" AGO_7S "','ownerReferences':["
               "{'apiVersion':'apps/v1','kind':'StatefulSet','name':'other'},"
               "{'apiVersion':'apps/v1','kind':'DaemonSet','name':'x','controller':false},"
               "{'apiVersion':'v1','kind':'Pod','name':'p','controller':true}]},'revision':1}",
               "['r1','pod/p',1,'7s']");
    ASSERT_ROW(RES_CONTROLLERREVISIONS,
               "{'metadata':{'name':'r2','creationTimestamp':'" AGO_7S "'},'revision':7}",
               "['r2','<none>',7,'7s']");
    ASSERT_ROW(RES_CONTROLLERREVISIONS,
               "{'metadata':{'name':'r3','creationTimestamp':'" AGO_7S "','ownerReferences':["
               "{'apiVersion':'a/b/c','kind':'Thing','name':'t','controller':true}]}}",
               "['r3','<invalid>',0,'7s']");
}

/* --- Age --- */

static void test_age_formats(void **state)
{
    static const char *const cases[][2] = {
        {AGO_7S, "7s"},
        {AGO_2M5S, "2m5s"},
        {AGO_10M, "10m"},
        {AGO_3H4M, "3h4m"},
        {AGO_2D3H, "2d3h"},
        {AGO_45D, "45d"},
        {"2026-11-25T09:00:00+01:00", "0s"},   /* offsets honoured */
        {"2026-11-25T08:00:01Z", "0s"},        /* one second of clock skew is forgiven */
        {"2026-11-25T08:00:05Z", "<invalid>"}, /* a creation time in the future */
        {"0001-01-01T00:00:00Z", "<unknown>"}, /* Go's zero time */
        {"not a time", "<unknown>"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char obj[160], want[80];
        snprintf(obj, sizeof(obj), "{'metadata':{'name':'n','creationTimestamp':'%s'}}",
                 cases[i][0]);
        snprintf(want, sizeof(want), "['n','Active','%s']", cases[i][1]);
        ASSERT_ROW(RES_NAMESPACES, obj, want);
    }
    ASSERT_ROW(RES_NAMESPACES, "{'metadata':{'name':'n'}}", "['n','Active','<unknown>']");
}

/* --- Column definitions --- */

static void test_columns_pod(void **state)
{
    assert_columns(RES_PODS, "[['Name','string','name',0],['Ready','string','',0],"
                             "['Status','string','',0],['Restarts','string','',0],"
                             "['Age','string','',0],['IP','string','',1],['Node','string','',1],"
                             "['Nominated Node','string','',1],"
                             "['Readiness Gates','string','',1]]");
}

static void test_columns_storage(void **state)
{
    assert_columns(RES_PERSISTENTVOLUMES,
                   "[['Name','string','name',0],['Capacity','string','',0],"
                   "['Access Modes','string','',0],['Reclaim Policy','string','',0],"
                   "['Status','string','',0],['Claim','string','',0],"
                   "['StorageClass','string','',0],['VolumeAttributesClass','string','',0],"
                   "['Reason','string','',0],['Age','string','',0],"
                   "['VolumeMode','string','',1]]");
    assert_columns(RES_PERSISTENTVOLUMECLAIMS,
                   "[['Name','string','name',0],['Status','string','',0],"
                   "['Volume','string','',0],['Capacity','string','',0],"
                   "['Access Modes','string','',0],['StorageClass','string','',0],"
                   "['VolumeAttributesClass','string','',0],['Age','string','',0],"
                   "['VolumeMode','string','',1]]");
    assert_columns(RES_STORAGECLASSES,
                   "[['Name','string','name',0],['Provisioner','string','',0],"
                   "['ReclaimPolicy','string','',0],['VolumeBindingMode','string','',0],"
                   "['AllowVolumeExpansion','string','',0],['Age','string','',0]]");
}

static void test_columns_workloads_and_network(void **state)
{
    assert_columns(RES_STATEFULSETS, "[['Name','string','name',0],['Ready','string','',0],"
                                     "['Age','string','',0],['Containers','string','',1],"
                                     "['Images','string','',1]]");
    assert_columns(RES_CONTROLLERREVISIONS,
                   "[['Name','string','name',0],['Controller','string','',0],"
                   "['Revision','string','',0],['Age','string','',0]]");
    assert_columns(RES_SERVICES, "[['Name','string','name',0],['Type','string','',0],"
                                 "['Cluster-IP','string','',0],['External-IP','string','',0],"
                                 "['Port(s)','string','',0],['Age','string','',0],"
                                 "['Selector','string','',1]]");
    assert_columns(RES_ENDPOINTSLICES,
                   "[['Name','string','name',0],['AddressType','string','',0],"
                   "['Ports','string','',0],['Endpoints','string','',0],['Age','string','',0]]");
    assert_columns(RES_ENDPOINTS, "[['Name','string','name',0],['Endpoints','string','',0],"
                                  "['Age','string','',0]]");
}

static void test_columns_cluster(void **state)
{
    assert_columns(RES_NODES, "[['Name','string','name',0],['Status','string','',0],"
                              "['Roles','string','',0],['Age','string','',0],"
                              "['Version','string','',0],['Internal-IP','string','',1],"
                              "['External-IP','string','',1],['OS-Image','string','',1],"
                              "['Kernel-Version','string','',1],"
                              "['Container-Runtime','string','',1]]");
    /* Events: Name is last and wide-only */
    assert_columns(RES_EVENTS, "[['Last Seen','string','',0],['Type','string','',0],"
                               "['Reason','string','',0],['Object','string','',0],"
                               "['Subobject','string','',1],['Source','string','',1],"
                               "['Message','string','',0],['First Seen','string','',1],"
                               "['Count','string','',1],['Name','string','name',1]]");
    assert_columns(RES_NAMESPACES,
                   "[['Name','string','name',0],['Status','string','',0],['Age','string','',0]]");
    assert_columns(RES_SECRETS, "[['Name','string','name',0],['Type','string','',0],"
                                "['Data','string','',0],['Age','string','',0]]");
    assert_columns(RES_CONFIGMAPS,
                   "[['Name','string','name',0],['Data','string','',0],['Age','string','',0]]");
    assert_columns(RES_SERVICEACCOUNTS,
                   "[['Name','string','name',0],['Secrets','string','',0],['Age','string','',0]]");
    assert_columns(RES_LEASES,
                   "[['Name','string','name',0],['Holder','string','',0],['Age','string','',0]]");
}

/* Every kind has its own printer, prints an empty object without crashing and with one cell
 * per column, and has exactly one Name column. */
static void test_every_kind_prints_empty_object(void **state)
{
    for (int id = 0; id < RES_COUNT; id++) {
        const struct res_printer *p = res_printer((enum res_id)id);
        int names = 0;
        assert_non_null(p);
        assert_true(p->ncolumns > 2); /* more than the Name/Age fallback */
        for (size_t i = 0; i < p->ncolumns; i++)
            if (!strcmp(p->columns[i].format, "name"))
                names++;
        assert_int_equal(names, 1);
        json_decref(print_row((enum res_id)id, "{}"));
        json_decref(print_row((enum res_id)id, "{'metadata':null,'spec':[],'status':7}"));
    }
    /* out of range: the Name/Age fallback */
    assert_int_equal(res_printer(RES_COUNT)->ncolumns, 2);
}

/* Cells follow upstream's Go value types on the wire. */
static void test_cell_types(void **state)
{
    json_t *c = print_row(RES_PODS, POD(ONE_CONTAINER, "{'phase':'Running'}"));
    assert_true(json_is_string(json_array_get(c, 3))); /* Restarts "0" */
    json_decref(c);
    c = print_row(RES_EVENTS, "{'metadata':{'name':'e'}}");
    assert_true(json_is_integer(json_array_get(c, 8))); /* Count */
    json_decref(c);
    c = print_row(RES_STORAGECLASSES, "{'metadata':{'name':'s'}}");
    assert_true(json_is_boolean(json_array_get(c, 4))); /* AllowVolumeExpansion */
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_running),
        cmocka_unit_test(test_pod_pending_unscheduled),
        cmocka_unit_test(test_pod_container_creating),
        cmocka_unit_test(test_pod_crashloop_restarts_ago),
        cmocka_unit_test(test_pod_terminated_signal),
        cmocka_unit_test(test_pod_terminated_exit_code),
        cmocka_unit_test(test_pod_completed),
        cmocka_unit_test(test_pod_completed_but_one_running),
        cmocka_unit_test(test_pod_first_container_reason_wins),
        cmocka_unit_test(test_pod_init_first_running),
        cmocka_unit_test(test_pod_init_second_running),
        cmocka_unit_test(test_pod_init_error_with_restarts),
        cmocka_unit_test(test_pod_init_signal_and_exit_code),
        cmocka_unit_test(test_pod_init_waiting_reasons),
        cmocka_unit_test(test_pod_initializing),
        cmocka_unit_test(test_pod_sidecar),
        cmocka_unit_test(test_pod_restarts_latest),
        cmocka_unit_test(test_pod_terminating),
        cmocka_unit_test(test_pod_node_lost),
        cmocka_unit_test(test_pod_status_reason_and_gated),
        cmocka_unit_test(test_pod_wide_readiness_gates),
        cmocka_unit_test(test_pod_wide_pod_ips),
        cmocka_unit_test(test_service_headless),
        cmocka_unit_test(test_service_node_port),
        cmocka_unit_test(test_service_load_balancer),
        cmocka_unit_test(test_service_external_name_and_defaults),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_endpoints_empty),
        cmocka_unit_test(test_endpointslice),
        cmocka_unit_test(test_pv_bound),
        cmocka_unit_test(test_pv_tricky),
        cmocka_unit_test(test_pv_defaults),
        cmocka_unit_test(test_pv_capacity_canonical),
        cmocka_unit_test(test_pvc_bound),
        cmocka_unit_test(test_pvc_pending_and_terminating),
        cmocka_unit_test(test_storageclass),
        cmocka_unit_test(test_event_core),
        cmocka_unit_test(test_event_series),
        cmocka_unit_test(test_event_sparse),
        cmocka_unit_test(test_node_ready_wide),
        cmocka_unit_test(test_node_not_ready_cordoned),
        cmocka_unit_test(test_namespace),
        cmocka_unit_test(test_configmap_secret_serviceaccount),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_statefulset_wide),
        cmocka_unit_test(test_controllerrevision),
        cmocka_unit_test(test_controllerrevision_owners),
        cmocka_unit_test(test_age_formats),
        cmocka_unit_test(test_columns_pod),
        cmocka_unit_test(test_columns_storage),
        cmocka_unit_test(test_columns_workloads_and_network),
        cmocka_unit_test(test_columns_cluster),
        cmocka_unit_test(test_every_kind_prints_empty_object),
        cmocka_unit_test(test_cell_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
