"""The seed tutorial (autograd-tutorial.ko.md) as runnable cells with Korean and English narration."""
import contextlib
import io

CELLS = [
    {
        "ko": "텐서에 .requires_grad 속성을 True로 설정하면, 이후의 텐서 모든 연산들을 추적함.\n"
              "방향성 비순환 그래프(DAG)의 leaf 노드는 입력 텐서이고, root 노드는 결과 텐서가 됨.",
        "en": "Setting .requires_grad = True on a tensor makes every later operation on it recorded.\n"
              "The leaves of the directed acyclic graph (DAG) are the inputs; the root is the result.",
        "code": "import torch\n\n"
                "x = torch.rand(1, requires_grad=True)\n"
                "y = torch.rand(1)\n"
                "y.requires_grad = True\n"
                "loss = y - x\n",
    },
    {
        "ko": "tensor.backward() 를 호출하면, 연산에 연결된 각 텐서들의 미분 값(gradient)을 자동으로 계산하여\n"
              "각 텐서 객체의 .grad 속성에 저장된다: dLoss/dx = -1, dLoss/dy = 1.",
        "en": "tensor.backward() computes the gradient of the result with respect to every connected tensor\n"
              "and stores it in that tensor's .grad: dLoss/dx = -1, dLoss/dy = 1.",
        "code": "loss.backward()\n"
                "print(x.grad, y.grad)\n",
    },
    {
        "ko": "입력 x, 정답 y, 가중치 W, 편향 b 로 z = xW + b 를 계산한다.",
        "en": "With input x, target y, weights W and bias b, compute z = xW + b.",
        "code": "x = torch.ones(4)\n"
                "y = torch.zeros(3)\n"
                "W = torch.rand(4, 3, requires_grad=True)\n"
                "b = torch.rand(3, requires_grad=True)\n"
                "z = torch.matmul(x,W) + b\n"
                "print(W, b, z)\n",
    },
    {
        "ko": "예측값과 실제값의 차이를 loss function(MSE)으로 계산하고, backward pass 로 W 와 b 의 미분 값을 구한다.",
        "en": "The loss function (MSE) measures prediction against truth; the backward pass gives dLoss/dW and dLoss/db.",
        "code": "import torch.nn.functional as F\n\n"
                "loss = F.mse_loss(z, y)\n"
                "loss.backward()\n"
                "print(loss, W.grad, b.grad)\n",
    },
    {
        "ko": "경사 하강법: 파라미터를 기울기 반대 방향으로 갱신한다.\n"
              "detach_() 는 텐서를 기존 DAG 로부터 끊고, requires_grad_(True) 는 현 텐서부터 다시 추적을 시작한다.",
        "en": "Gradient descent: step each parameter against its gradient.\n"
              "detach_() cuts the tensor out of the old DAG; requires_grad_(True) starts recording from it again.",
        "code": "threshold = 0.1\n"
                "learning_rate = 0.1\n"
                "iteration_num = 0\n\n"
                "while loss > threshold :\n"
                "    iteration_num += 1\n"
                "    W = W - learning_rate * W.grad\n"
                "    b = b - learning_rate * b.grad\n"
                "    print(iteration_num, loss, z, y)\n"
                "    \n"
                "    # detach_() : 텐서를 기존 방향성 비순환 그래프(DAG : Directed Acyclid Graph) 로부터 끊음\n"
                "    # .requires_grad(True) : 연결된 Tensor 로부터의 계산된 자동미분 값을, 다시 현 텐서부터 시작하도록 만듦\n"
                "    W.detach_().requires_grad_(True)\n"
                "    b.detach_().requires_grad_(True)\n\n"
                "    z = torch.matmul(x, W) + b\n"
                "    loss = F.mse_loss(z, y)\n"
                "    loss.backward()\n\n"
                "print(iteration_num + 1, loss, z, y)\n",
    },
]


def as_dagrad(code):
    """The cell's code with ``torch`` bound to dagrad (the only edit: the import lines)."""
    return (code.replace("import torch.nn.functional as F", "import dagrad.nn.functional as F")
            .replace("import torch\n", "import dagrad as torch\n"))


def run_cells(lib="dagrad", seed=None, namespace=None):
    """Run every cell; return the list of what each printed. ``lib`` is 'dagrad' or 'torch'."""
    ns = {} if namespace is None else namespace
    outputs = []
    if seed is not None:
        mod = __import__(lib)
        mod.manual_seed(seed)
    for cell in CELLS:
        code = as_dagrad(cell["code"]) if lib == "dagrad" else cell["code"]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "<tutorial>", "exec"), ns)
        outputs.append(buf.getvalue())
    return outputs
